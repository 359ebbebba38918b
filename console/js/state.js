// What the views share: who is signed in, the jobs list and the open job. Read it through the getters, change it
// through the setters; a view that shows a part subscribes to it and is told after every change.
//
//   founder  the signed-in founder's id (the token's `sub`), or null on the sign-in screen
//   jobs     the jobs list, newest first: the API's entries plus the ones just created (`optimistic`)
//   openJob  the job in the address (#/jobs/<id>), or null: {id, job, problem}
//            job      what its status and events tell (job-events.js), null while it loads or when it failed
//            problem  why it could not be loaded, or null
//            The record keeps its identity while it is open (a view may key its own bookkeeping on it);
//            open-job.js alone changes it, then calls openJobChanged().

const values = { founder: null, jobs: [], openJob: null };
const listeners = { founder: new Set(), jobs: new Set(), openJob: new Set() };

export const founder = () => values.founder;
export const jobs = () => values.jobs;
export const openJob = () => values.openJob;

/** Calls listener(value, detail) after each change of `key`; returns the function that unsubscribes. */
export function subscribe(key, listener) {
  listeners[key].add(listener);
  return () => listeners[key].delete(listener);
}

function set(key, value, detail = {}) {
  values[key] = value;
  for (const listener of [...listeners[key]]) listener(value, detail);
}

export const setFounder = (id) => set("founder", id || null);

/** detail.changed: the one job_id whose entry changed (the list may update that entry in place). */
export const setJobs = (list, detail) => set("jobs", list, detail);

export const setOpenJob = (record) => set("openJob", record);

/** The open job's record changed in place (loaded, failed, or new events applied). */
export const openJobChanged = () => set("openJob", values.openJob);
