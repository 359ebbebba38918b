// The open job's panel: what shows while it loads or when it can't be loaded, its header (goal, state, steps,
// cost, model), the budget bar, the countdown while it sleeps, its summary or error, its plan and notes.
// The decision console and the timeline inside the panel are views of their own.
import { $, h, replaceChildren, setText, show } from "../dom.js";
import * as fmt from "../format.js";
import { cost, steps } from "../job-events.js";
import { catchUp } from "../open-job.js";
import { GRACEFUL_PCT } from "../settings.js";
import * as state from "../state.js";

const WAKE_CHECK_MS = 5000;
const CLOCK_SYNC_MS = 10000;

let clock = null;
let countdownTimer = null;
let clockTimer = null;
const lastWakeCheck = new WeakMap(); // record -> when the event log was last asked whether it woke up

export function mountJob(options) {
  clock = options.clock;
  setText($("threshold-text"), `${GRACEFUL_PCT} %`);
  state.subscribe("openJob", render);
  state.subscribe("jobs", renderHeader); // the goal and the model come from the jobs list
}

function render(record) {
  const job = record?.job;
  show($("no-job"), !record && Boolean(state.founder()));
  show($("job-loading"), Boolean(record) && !job && !record.problem);
  const problem = $("job-problem");
  setText(problem, (!job && record?.problem) || "");
  show(problem, Boolean(!job && record?.problem));
  show($("job"), Boolean(job));
  if (!job) {
    stopCountdown();
    document.title = "Cofounder console";
    return;
  }
  $("job").dataset.state = job.state;
  renderHeader();
  renderBudget(job);
  renderSleep(job);
  show($("summary"), job.summary !== null);
  setText($("summary-text"), job.summary || "");
  show($("job-error"), job.state === "error" || job.error !== null);
  setText($("job-error-text"), job.error || "No details were given.");
  renderPlanAndNotes(job);
}

function renderHeader() {
  const job = state.openJob()?.job;
  if (!job) return;
  const entry = state.jobs().find((j) => j.job_id === job.jobId);
  const goal = entry?.goal || `Job ${job.jobId.slice(0, 8)}`;
  setText($("job-goal"), goal);
  const badge = $("job-badge");
  badge.dataset.state = job.state;
  setText(badge, fmt.stateLabel(job.state));
  setText($("job-steps"), fmt.count(steps(job)));
  setText($("job-cost"), fmt.money(cost(job)));
  setText($("job-model"), entry?.model || "—");
  setText($("job-id"), job.jobId);
  document.title = `${fmt.stateLabel(job.state)} · ${goal} — Cofounder`;
}

function renderBudget(job) {
  const bar = $("budget-bar");
  const pct = job.budgetPct;
  if (pct === null || pct === undefined) {
    setText($("budget-text"), "unknown");
    bar.removeAttribute("aria-valuenow");
    bar.setAttribute("aria-valuetext", "unknown");
    bar.dataset.level = "unknown";
    $("budget-fill").style.width = "0%";
    return;
  }
  const clamped = Math.max(0, Math.min(100, Number(pct)));
  setText($("budget-text"), `${clamped} %`);
  bar.setAttribute("aria-valuenow", String(clamped));
  bar.setAttribute("aria-valuetext", `${clamped} % of the daily budget`);
  bar.dataset.level = clamped >= GRACEFUL_PCT ? "amber" : "ok";
  $("budget-fill").style.width = `${clamped}%`;
}

function renderSleep(job) {
  const sleeping = job.state === "sleeping" && Boolean(job.wakeAt);
  show($("sleep-panel"), sleeping);
  if (!sleeping) {
    stopCountdown();
    return;
  }
  const wake = $("wake-at");
  wake.setAttribute("datetime", job.wakeAt);
  setText(wake, fmt.utcDateTime(job.wakeAt));
  tickCountdown();
  countdownTimer ??= setInterval(tickCountdown, 1000);
  // the local cloud's clock time-travels: follow it
  if (clock.local) clockTimer ??= setInterval(() => clock.sync().then(tickCountdown), CLOCK_SYNC_MS);
}

function tickCountdown() {
  const record = state.openJob();
  const job = record?.job;
  if (!job || job.state !== "sleeping" || !job.wakeAt) return stopCountdown();
  const left = Date.parse(job.wakeAt) - clock.now();
  setText($("countdown"), left > 0 ? fmt.duration(left) : "a moment (waking up)");
  if (left <= 0 && Date.now() - (lastWakeCheck.get(record) || 0) > WAKE_CHECK_MS) {
    // past wake_at: if the socket missed the wake-up, the event log has it
    lastWakeCheck.set(record, Date.now());
    catchUp(record);
  }
}

function stopCountdown() {
  clearInterval(countdownTimer);
  clearInterval(clockTimer);
  countdownTimer = null;
  clockTimer = null;
}

function renderPlanAndNotes(job) {
  replaceChildren($("plan"), job.plan.map((item) => h("li", { text: item })));
  show($("plan-empty"), job.plan.length === 0);
  const notes = [...job.notes.entries()].flatMap(([key, note]) => [
    h("dt", {}, key, h("span", { class: "muted small", text: ` · step ${note.step + 1}` })),
    h("dd", { text: note.text }),
  ]);
  replaceChildren($("notes"), notes);
  show($("notes-empty"), job.notes.size === 0);
}
