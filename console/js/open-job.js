// The open job: loads it (GET /status, then its event log), applies the live feed's events in event_id order and
// fetches what a gap, a reconnect or a missed wake-up left out. This module alone changes the open job's record
// in state.js; the views render it.
import { applyEvent, jobFromStatus } from "./job-events.js";
import * as state from "./state.js";

let api = null;
let follow = () => {}; // tells the live feed which job to follow (null: none)

// What this module keeps about each record while it is open: whether it is loading, the events that arrived
// ahead of a gap, and the catch-up in flight.
const progress = new WeakMap();

/** follow(jobId | null): the live feed's subscription. */
export function connectOpenJob(options) {
  api = options.api;
  follow = options.follow;
}

export async function open(id, { force = false } = {}) {
  if (!force && state.openJob()?.id === id) return;
  close();
  const record = { id, job: null, problem: null };
  const own = { loading: true, buffered: [], catchingUp: null };
  progress.set(record, own);
  state.setOpenJob(record);
  try {
    const status = await api.status(id);
    if (state.openJob() !== record) return;
    const job = jobFromStatus(status);
    const events = await api.eventsAfter(id, 0);
    if (state.openJob() !== record) return;
    for (const event of events) applyEvent(job, event);
    record.job = job;
    state.openJobChanged();
    follow(id);
  } catch (error) {
    if (state.openJob() !== record || error.status === 401) return;
    record.problem = loadProblem(error);
    state.openJobChanged();
  } finally {
    own.loading = false;
  }
}

function loadProblem(error) {
  if (error.status === 404) return "This job does not exist, or it belongs to another founder.";
  if (error.unreachable) return `Couldn't load this job: ${error.message} Retrying…`;
  return `Couldn't load this job: ${error.message}`;
}

export function close() {
  if (state.openJob()) follow(null);
  state.setOpenJob(null);
}

/** An event from the live feed. */
export function receive(event) {
  const record = state.openJob();
  if (!record?.job || event.job_id !== record.id) return;
  const id = Number(event.event_id);
  if (id <= record.job.lastEventId) return; // already have it (replay after a reconnect, or two paths)
  const own = progress.get(record);
  if (id > record.job.lastEventId + 1) {
    own.buffered.push(event); // a gap: fetch what is missing, then apply in order
    catchUp(record);
    return;
  }
  applyEvent(record.job, event);
  if (!own.catchingUp) state.openJobChanged();
}

/** Fetches the events after the last one applied (one fetch at a time); resolves when they are applied. */
export function catchUp(record = state.openJob()) {
  if (!record?.job) return Promise.resolve();
  const own = progress.get(record);
  if (own.catchingUp) return own.catchingUp;
  own.catchingUp = (async () => {
    try {
      const events = await api.eventsAfter(record.id, record.job.lastEventId);
      if (state.openJob() !== record) return;
      for (const event of events) applyEvent(record.job, event);
      const buffered = own.buffered.sort((a, b) => a.event_id - b.event_id);
      own.buffered = [];
      for (const event of buffered) applyEvent(record.job, event);
    } catch {
      /* unreachable (retried from the banner) or signed out */
    } finally {
      own.catchingUp = null;
      if (state.openJob() === record) state.openJobChanged();
    }
  })();
  return own.catchingUp;
}

/** The API is back: load the open job again if loading it failed, else catch up. */
export function retry() {
  const record = state.openJob();
  if (!record) return;
  if (record.job) catchUp(record);
  else if (!progress.get(record).loading) open(record.id, { force: true });
}

/** This tab resolved `escalationId` (with its resolution), or learned that another session did (null). */
export function escalationSettled(record, escalationId, resolution = null) {
  if (state.openJob() !== record || !record.job) return;
  if (resolution) record.job.resolutions.set(escalationId, resolution);
  if (record.job.pending?.escalation_id === escalationId) record.job.pending = null;
  state.openJobChanged();
}
