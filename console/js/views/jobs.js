// The sidebar: the founder's jobs (refreshed every 20 s, the open one kept up to date from its live events) and
// the form that starts a job.
import { fieldMessages } from "../api.js";
import { $, h, replaceChildren, setText } from "../dom.js";
import * as fmt from "../format.js";
import { busy, clearFieldError, fieldError } from "../forms.js";
import { cost, steps } from "../job-events.js";
import * as state from "../state.js";

const REFRESH_MS = 20000;
const JOB_FIELDS = ["goal", "daily_budget_usd", "model"];

let api = null;
let clock = null;
let refreshTimer = null;
let modelsLoaded = false;

export function mountJobs(options) {
  api = options.api;
  clock = options.clock;
  $("new-job").addEventListener("submit", submitNewJob);
  $("refresh-jobs").addEventListener("click", () => refreshJobs());
  state.subscribe("jobs", (_list, { changed }) => (changed ? renderEntry(changed) : renderList()));
  state.subscribe("openJob", (record) => {
    markOpen(record?.id ?? null);
    if (record?.job) {
      const list = withOpenJob(state.jobs(), record.job);
      if (list !== state.jobs()) state.setJobs(list, { changed: record.id });
    }
  });
}

/** Signed in: the models for the form, the list now and every 20 s. */
export function startJobs() {
  loadModels();
  refreshJobs();
  refreshTimer = setInterval(() => refreshJobs({ quiet: true }), REFRESH_MS);
}

export function stopJobs() {
  clearInterval(refreshTimer);
  state.setJobs([]);
}

export async function refreshJobs({ quiet = false } = {}) {
  const list = $("jobs");
  const founder = state.founder();
  if (!quiet) {
    setText($("jobs-status"), "Loading jobs…");
    list.setAttribute("aria-busy", "true");
  }
  try {
    const data = await api.jobs(50);
    if (!founder || state.founder() !== founder) return;
    const optimistic = state.jobs().filter((j) => j.optimistic && !data.jobs.some((d) => d.job_id === j.job_id));
    const open = state.openJob()?.job;
    const jobs = [...optimistic, ...data.jobs];
    state.setJobs(open ? withOpenJob(jobs, open) : jobs);
    setText($("jobs-status"), jobs.length ? "" : "No jobs yet: start one above.");
  } catch (error) {
    if (error.status !== 401 && !quiet) setText($("jobs-status"), `Couldn't load your jobs. ${error.message}`);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

/** The list with the open job's entry brought up to date by its events (the same list when nothing changes). */
function withOpenJob(jobs, job) {
  const entry = jobs.find((j) => j.job_id === job.jobId);
  if (!entry) return jobs;
  const updated = {
    ...entry,
    state: job.state,
    steps: Math.max(entry.steps || 0, steps(job)),
    cost_usd: Math.max(entry.cost_usd || 0, cost(job)),
  };
  if (updated.state === entry.state && updated.steps === entry.steps && updated.cost_usd === entry.cost_usd) {
    return jobs;
  }
  return jobs.map((j) => (j === entry ? updated : j));
}

function renderList() {
  const list = $("jobs");
  const focused = document.activeElement?.dataset?.jobId;
  const openId = state.openJob()?.id;
  replaceChildren(
    list,
    state.jobs().map((job) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            class: "job-link",
            href: `#/jobs/${encodeURIComponent(job.job_id)}`,
            "aria-current": job.job_id === openId ? "page" : null,
            dataset: { jobId: job.job_id },
          },
          h("span", { class: "job-link-goal", text: job.goal }),
          h(
            "span",
            { class: "job-link-meta" },
            h("span", { class: "badge small", dataset: { state: job.state }, text: fmt.stateLabel(job.state) }),
            h("span", { class: "job-link-numbers", text: jobNumbers(job) }),
          ),
        ),
      ),
    ),
  );
  if (focused) list.querySelector(`[data-job-id="${CSS.escape(focused)}"]`)?.focus();
}

/** One entry changed: update its link in place (the rest of the list, and the focus, stay as they are). */
function renderEntry(jobId) {
  const job = state.jobs().find((j) => j.job_id === jobId);
  const link = $("jobs").querySelector(`[data-job-id="${CSS.escape(jobId)}"]`);
  if (!job || !link) return;
  const badge = link.querySelector(".badge");
  badge.dataset.state = job.state;
  setText(badge, fmt.stateLabel(job.state));
  setText(link.querySelector(".job-link-numbers"), jobNumbers(job));
}

function markOpen(jobId) {
  for (const link of $("jobs").querySelectorAll(".job-link")) {
    if (link.dataset.jobId === jobId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function jobNumbers(job) {
  const stepsText = `${fmt.count(job.steps)} step${job.steps === 1 ? "" : "s"}`;
  return [fmt.money(job.cost_usd), stepsText, fmt.dateTime(job.created_at)].filter(Boolean).join(" · ");
}

async function loadModels() {
  if (modelsLoaded) return;
  try {
    const models = await api.models();
    const select = $("model");
    for (const name of models) select.append(h("option", { value: name, text: name }));
    modelsLoaded = true;
  } catch {
    /* the stack's default model still works */
  }
}

async function submitNewJob(event) {
  event.preventDefault();
  for (const name of JOB_FIELDS) clearFieldError(name);
  clearFieldError("new-job");
  const budgetInput = $("daily_budget_usd");
  if (budgetInput.validity.badInput) {
    fieldError("daily_budget_usd", "Enter an amount in US dollars, e.g. 5.");
    budgetInput.focus();
    return;
  }
  const body = { goal: $("goal").value.trim() };
  if (budgetInput.value.trim() !== "") body.daily_budget_usd = Number(budgetInput.value);
  if ($("model").value) body.model = $("model").value;
  await busy($("start-job"), "Starting…", async () => {
    try {
      const created = await api.createJob(body);
      const entry = {
        job_id: created.job_id,
        session_id: created.session_id,
        goal: body.goal,
        model: body.model || "—",
        state: created.state,
        steps: 0,
        cost_usd: 0,
        created_at: new Date(clock.now()).toISOString(),
        optimistic: true,
      };
      state.setJobs([entry, ...state.jobs().filter((j) => j.job_id !== created.job_id)]);
      $("new-job").reset();
      setText($("jobs-status"), "");
      location.hash = `#/jobs/${encodeURIComponent(created.job_id)}`;
      refreshJobs({ quiet: true });
    } catch (error) {
      if (error.status === 401) return;
      if (error.status === 422 && error.fields.length) showInvalid(error);
      else fieldError("new-job", error.message);
    }
  });
}

function showInvalid(error) {
  let first = null;
  for (const [name, text] of Object.entries(fieldMessages(error))) {
    if (JOB_FIELDS.includes(name)) {
      fieldError(name, text);
      first ??= $(name);
    } else fieldError("new-job", text);
  }
  (first || $("goal")).focus();
}
