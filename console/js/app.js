// The founder console: sign-in, jobs, and one open job kept live over the WebSocket API.
import { Api, fieldMessages } from "./api.js";
import { claimsOf, session, takeFragmentToken, tokenProblem } from "./auth.js";
import { ServerClock } from "./clock.js";
import { $, h, replaceChildren, setText, show } from "./dom.js";
import * as fmt from "./format.js";
import { applyEvent, cost, EVENT, newJobView, steps } from "./job.js";
import { LiveFeed } from "./live.js";
import { GRACEFUL_PCT, resolveSettings } from "./settings.js";

const settings = resolveSettings();
const SESSION_ENDED = "Your session expired or the token was refused. Sign in again.";

const app = {
  signedIn: false,
  feed: null,
  jobs: [],
  current: null, // the open job: {id, view, loading, buffered, catchingUp, renderedUpTo, decisionFor, handled}
  timers: {},
  offlineAttempt: 0,
  lastProbe: 0,
  modelsLoaded: false,
};

const api = new Api(settings.apiBase, () => session.token, {
  onUnauthorized: () => signOut(SESSION_ENDED),
});
const clock = new ServerClock(settings.apiBase);

// ---------------------------------------------------------------------------------------------------
// Boot, sign-in, sign-out
// ---------------------------------------------------------------------------------------------------

async function boot() {
  bindHandlers();
  setText($("threshold-text"), `${GRACEFUL_PCT} %`);
  const fragmentToken = takeFragmentToken();
  const local = await clock.sync();
  show($("dev-signin"), local);
  show($("boot"), false);
  if (fragmentToken) {
    showSignIn(null);
    $("token-input").value = fragmentToken;
    await signInWith(fragmentToken, "token");
    return;
  }
  const token = session.token;
  const problem = token ? tokenProblem(token) : null;
  if (token && !problem) {
    enterWorkspace();
  } else {
    session.clear();
    showSignIn(problem === "expired" ? "Your session expired. Sign in again." : null);
  }
}

function showSignIn(message) {
  show($("workspace"), false);
  show($("session-bar"), false);
  show($("signin"));
  const notice = $("signin-message");
  setText(notice, message || "");
  show(notice, Boolean(message));
  document.title = "Sign in — Cofounder";
  const first = $("dev-signin").hidden ? $("token-input") : $("dev-sub");
  first.focus();
}

async function signInWith(token, source) {
  const field = source === "dev" ? "dev-sub" : "token-input";
  clearFieldError(field);
  token = String(token || "").trim().replace(/^Bearer\s+/i, "");
  const problem = tokenProblem(token);
  if (problem) {
    fieldError(field, problem === "expired" ? "This token has expired." : "This is not a JWT (three dot-separated parts).");
    return false;
  }
  try {
    await api.jobs(1, token); // checks the token without touching the session
  } catch (error) {
    if (error.status === 401) fieldError(field, "The API refused this token (expired, or not issued for it).");
    else fieldError(field, error.message);
    return false;
  }
  session.save(token);
  $("token-input").value = "";
  enterWorkspace();
  return true;
}

async function devSignIn(event) {
  event.preventDefault();
  const sub = $("dev-sub").value.trim();
  clearFieldError("dev-sub");
  if (!sub) {
    fieldError("dev-sub", "Enter a founder id, e.g. founder-1.");
    return;
  }
  const button = event.submitter || $("dev-signin").querySelector("button");
  await busy(button, "Signing in…", async () => {
    try {
      const { token } = await api.devToken(sub);
      await signInWith(token, "dev");
    } catch (error) {
      fieldError("dev-sub", error.unreachable ? error.message : `Dev sign-in failed: ${error.message}`);
    }
  });
}

async function tokenSignIn(event) {
  event.preventDefault();
  const button = event.submitter || $("token-signin").querySelector("button");
  await busy(button, "Checking…", () => signInWith($("token-input").value, "token"));
}

function enterWorkspace() {
  app.signedIn = true;
  const claims = claimsOf(session.token) || {};
  setText($("founder"), claims.sub || "");
  show($("signin"), false);
  show($("session-bar"));
  show($("workspace"));
  scheduleExpiry(claims);
  app.feed = new LiveFeed({
    url: settings.wsUrl,
    token: () => session.token,
    after: () => app.current?.view?.lastEventId ?? 0,
    onEvent,
    onStatus: renderConnection,
    onServerError: (message) => console.warn("WebSocket API:", message),
    onDrop: probeApi,
  });
  app.feed.start();
  loadModels();
  refreshJobs();
  app.timers.jobs = setInterval(() => refreshJobs({ quiet: true }), 20000);
  route();
}

function signOut(message) {
  if (!app.signedIn) return;
  app.signedIn = false;
  session.clear();
  app.feed?.stop();
  app.feed = null;
  for (const timer of Object.values(app.timers)) {
    clearTimeout(timer);
    clearInterval(timer);
  }
  app.timers = {};
  closeJob();
  app.jobs = [];
  replaceChildren($("jobs"));
  hideBanner();
  showSignIn(message);
}

function scheduleExpiry(claims) {
  if (typeof claims.exp !== "number") return;
  const left = claims.exp * 1000 - Date.now();
  app.timers.expiry = setTimeout(() => signOut("Your session expired. Sign in again."), Math.min(left, 2 ** 31 - 1));
}

// ---------------------------------------------------------------------------------------------------
// API reachability
// ---------------------------------------------------------------------------------------------------

api.onUnreachable = (error) => {
  if (!app.signedIn) return;
  app.offlineAttempt += 1;
  const delay = Math.min(30000, 2000 * 2 ** (app.offlineAttempt - 1));
  showBanner(`${error.message} Retrying in ${Math.round(delay / 1000)} s…`, true);
  clearTimeout(app.timers.retry);
  app.timers.retry = setTimeout(retryAll, delay);
};

api.onReachable = () => {
  if (app.offlineAttempt === 0) return;
  app.offlineAttempt = 0;
  clearTimeout(app.timers.retry);
  hideBanner();
};

function retryAll() {
  if (!app.signedIn) return;
  refreshJobs({ quiet: true });
  const current = app.current;
  if (current && !current.view && !current.loading) openJob(current.id, { force: true });
  else if (current?.view) catchUp(current);
  app.feed?.reconnectNow();
}

function probeApi() {
  // The socket dropped or would not open: an expired token or a down API shows up here, not on the socket.
  if (Date.now() - app.lastProbe < 4000) return;
  app.lastProbe = Date.now();
  refreshJobs({ quiet: true });
}

function showBanner(text, retry) {
  setText($("banner-text"), text);
  show($("banner-retry"), Boolean(retry));
  show($("banner"));
}

function hideBanner() {
  show($("banner"), false);
}

// ---------------------------------------------------------------------------------------------------
// Jobs list and the new-job form
// ---------------------------------------------------------------------------------------------------

async function refreshJobs({ quiet = false } = {}) {
  const list = $("jobs");
  if (!quiet) {
    setText($("jobs-status"), "Loading jobs…");
    list.setAttribute("aria-busy", "true");
  }
  try {
    const data = await api.jobs(50);
    if (!app.signedIn) return;
    const optimistic = app.jobs.filter((j) => j.optimistic && !data.jobs.some((d) => d.job_id === j.job_id));
    app.jobs = [...optimistic, ...data.jobs];
    const view = app.current?.view;
    if (view) mergeIntoList(view);
    renderJobs();
    setText($("jobs-status"), app.jobs.length ? "" : "No jobs yet: start one above.");
    if (view) renderJobHeader();
  } catch (error) {
    if (error.status !== 401 && !quiet) setText($("jobs-status"), `Couldn't load your jobs. ${error.message}`);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function renderJobs() {
  const list = $("jobs");
  const focused = document.activeElement?.dataset?.jobId;
  replaceChildren(
    list,
    app.jobs.map((job) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            class: "job-link",
            href: `#/jobs/${encodeURIComponent(job.job_id)}`,
            "aria-current": job.job_id === app.current?.id ? "page" : null,
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

function jobNumbers(job) {
  const stepsText = `${fmt.count(job.steps)} step${job.steps === 1 ? "" : "s"}`;
  return [fmt.money(job.cost_usd), stepsText, fmt.dateTime(job.created_at)].filter(Boolean).join(" · ");
}

function mergeIntoList(view) {
  const job = app.jobs.find((j) => j.job_id === view.jobId);
  if (!job) return null;
  job.state = view.state;
  job.steps = Math.max(job.steps || 0, steps(view));
  job.cost_usd = Math.max(job.cost_usd || 0, cost(view));
  return job;
}

function updateJobListItem(view) {
  const job = mergeIntoList(view);
  if (!job) return;
  const link = $("jobs").querySelector(`[data-job-id="${CSS.escape(job.job_id)}"]`);
  if (!link) return;
  const badge = link.querySelector(".badge");
  badge.dataset.state = job.state;
  setText(badge, fmt.stateLabel(job.state));
  setText(link.querySelector(".job-link-numbers"), jobNumbers(job));
}

async function loadModels() {
  if (app.modelsLoaded) return;
  try {
    const models = await api.models();
    const select = $("model");
    for (const name of models) select.append(h("option", { value: name, text: name }));
    app.modelsLoaded = true;
  } catch {
    /* the stack's default model still works */
  }
}

const JOB_FIELDS = ["goal", "daily_budget_usd", "model"];

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
      app.jobs = app.jobs.filter((j) => j.job_id !== created.job_id);
      app.jobs.unshift({
        job_id: created.job_id,
        session_id: created.session_id,
        goal: body.goal,
        model: body.model || "—",
        state: created.state,
        steps: 0,
        cost_usd: 0,
        created_at: new Date(clock.now()).toISOString(),
        optimistic: true,
      });
      $("new-job").reset();
      setText($("jobs-status"), "");
      location.hash = `#/jobs/${encodeURIComponent(created.job_id)}`;
      renderJobs();
      refreshJobs({ quiet: true });
    } catch (error) {
      if (error.status === 401) return;
      if (error.status === 422 && error.fields.length) {
        const messages = fieldMessages(error);
        let first = null;
        for (const [name, text] of Object.entries(messages)) {
          if (JOB_FIELDS.includes(name)) {
            fieldError(name, text);
            first ??= $(name);
          } else fieldError("new-job", text);
        }
        (first || $("goal")).focus();
      } else {
        fieldError("new-job", error.message);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Routing and the open job
// ---------------------------------------------------------------------------------------------------

function route() {
  if (!app.signedIn) return;
  if (location.hash && !location.hash.startsWith("#/")) return; // an in-page anchor, not a route
  const match = /^#\/jobs\/([^/?#]+)/.exec(location.hash);
  const id = match ? decodeURIComponent(match[1]) : null;
  if (id) openJob(id);
  else closeJob();
  for (const link of $("jobs").querySelectorAll(".job-link")) {
    if (link.dataset.jobId === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function openJob(id, { force = false } = {}) {
  if (!force && app.current?.id === id) return;
  closeJob();
  const current = {
    id,
    view: null,
    loading: true,
    buffered: [],
    catchingUp: null,
    renderedUpTo: 0,
    decisionFor: undefined,
    handled: new Set(),
  };
  app.current = current;
  show($("no-job"), false);
  show($("job"), false);
  show($("job-problem"), false);
  show($("job-loading"));
  try {
    const status = await api.status(id);
    if (app.current !== current) return;
    const view = newJobView(status);
    const { events } = await api.events(id, 0);
    if (app.current !== current) return;
    for (const event of events) applyEvent(view, event);
    current.view = view;
    replaceChildren($("timeline"));
    renderJob();
    app.feed?.follow(id);
  } catch (error) {
    if (app.current !== current || error.status === 401) return;
    show($("job-loading"), false);
    const problem = $("job-problem");
    if (error.status === 404) setText(problem, "This job does not exist, or it belongs to another founder.");
    else if (error.unreachable) setText(problem, `Couldn't load this job: ${error.message} Retrying…`);
    else setText(problem, `Couldn't load this job: ${error.message}`);
    show(problem);
  } finally {
    current.loading = false;
  }
}

function closeJob() {
  if (app.current) app.feed?.follow(null);
  app.current = null;
  stopCountdown();
  show($("job"), false);
  show($("job-loading"), false);
  show($("job-problem"), false);
  show($("no-job"), app.signedIn);
  replaceChildren($("timeline"));
  document.title = "Cofounder console";
}

function onEvent(event) {
  const current = app.current;
  if (!current?.view || event.job_id !== current.id) return;
  const id = Number(event.event_id);
  if (id <= current.view.lastEventId) return; // already have it (replay after a reconnect, or two paths)
  if (id > current.view.lastEventId + 1) {
    current.buffered.push(event); // a gap: fetch what is missing, then apply in order
    catchUp(current);
    return;
  }
  applyEvent(current.view, event);
  if (!current.catchingUp) renderJob();
}

function catchUp(current) {
  if (current.catchingUp) return current.catchingUp;
  current.catchingUp = (async () => {
    try {
      const { events } = await api.events(current.id, current.view.lastEventId);
      if (app.current !== current) return;
      for (const event of events) applyEvent(current.view, event);
      const buffered = current.buffered.sort((a, b) => a.event_id - b.event_id);
      current.buffered = [];
      for (const event of buffered) applyEvent(current.view, event);
    } catch {
      /* unreachable (retried from the banner) or signed out */
    } finally {
      current.catchingUp = null;
      if (app.current === current) renderJob();
    }
  })();
  return current.catchingUp;
}

// ---------------------------------------------------------------------------------------------------
// Rendering the open job
// ---------------------------------------------------------------------------------------------------

function renderJob() {
  const current = app.current;
  const view = current?.view;
  if (!view) return;
  show($("job-loading"), false);
  show($("job-problem"), false);
  show($("no-job"), false);
  show($("job"));
  $("job").dataset.state = view.state;
  renderJobHeader();
  renderBudget(view);
  renderSleep(view);
  renderDecision(current);
  const done = view.summary !== null;
  show($("summary"), done);
  setText($("summary-text"), view.summary || "");
  const failed = view.state === "error" || view.error !== null;
  show($("job-error"), failed);
  setText($("job-error-text"), view.error || "No details were given.");
  renderTimeline(current);
  renderPlanAndNotes(view);
  updateJobListItem(view);
}

function renderJobHeader() {
  const view = app.current?.view;
  if (!view) return;
  const job = app.jobs.find((j) => j.job_id === view.jobId);
  const goal = job?.goal || `Job ${view.jobId.slice(0, 8)}`;
  setText($("job-goal"), goal);
  const badge = $("job-badge");
  badge.dataset.state = view.state;
  setText(badge, fmt.stateLabel(view.state));
  setText($("job-steps"), fmt.count(steps(view)));
  setText($("job-cost"), fmt.money(cost(view)));
  setText($("job-model"), job?.model || "—");
  setText($("job-id"), view.jobId);
  document.title = `${fmt.stateLabel(view.state)} · ${goal} — Cofounder`;
}

function renderBudget(view) {
  const bar = $("budget-bar");
  const pct = view.budgetPct;
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

function renderSleep(view) {
  const sleeping = view.state === "sleeping" && Boolean(view.wakeAt);
  show($("sleep-panel"), sleeping);
  if (!sleeping) {
    stopCountdown();
    return;
  }
  const wake = $("wake-at");
  wake.setAttribute("datetime", view.wakeAt);
  setText(wake, fmt.utcDateTime(view.wakeAt));
  tickCountdown();
  if (!app.timers.countdown) app.timers.countdown = setInterval(tickCountdown, 1000);
  if (clock.local && !app.timers.clock) {
    app.timers.clock = setInterval(() => clock.sync().then(tickCountdown), 10000);
  }
}

function tickCountdown() {
  const view = app.current?.view;
  if (!view || view.state !== "sleeping" || !view.wakeAt) return stopCountdown();
  const left = Date.parse(view.wakeAt) - clock.now();
  setText($("countdown"), left > 0 ? fmt.duration(left) : "a moment (waking up)");
  if (left <= 0 && Date.now() - (app.current.lastWakeCheck || 0) > 5000) {
    // past wake_at: if the socket missed the wake-up, the event log has it
    app.current.lastWakeCheck = Date.now();
    catchUp(app.current);
  }
}

function stopCountdown() {
  clearInterval(app.timers.countdown);
  clearInterval(app.timers.clock);
  delete app.timers.countdown;
  delete app.timers.clock;
}

function renderDecision(current) {
  const pending = current.view.pending;
  const key = pending?.escalation_id || null;
  if (key === current.decisionFor) return; // unchanged: leave the form as the founder left it
  const previous = current.decisionFor;
  current.decisionFor = key;
  const panel = $("decision");
  if (pending) {
    setText($("esc-problem"), pending.problem || "");
    setText($("esc-tried"), pending.tried || "");
    setText($("esc-recommended"), pending.recommended_action || "");
    toggleOtherwise(false);
    $("decision-text").value = "";
    $("guidance-text").value = "";
    for (const name of ["decision-text", "guidance-text", "decision"]) clearFieldError(name);
    panel.dataset.escalationId = key;
    show($("decision-outcome"), false);
    show(panel);
    return;
  }
  const hadFocus = panel.contains(document.activeElement);
  show(panel, false);
  if (previous && !current.handled.has(previous)) {
    const resolution = current.view.resolutions.get(previous);
    outcome("elsewhere", "Resolved in another session.", resolution, hadFocus);
  }
}

function outcome(kind, title, resolution, focus = false) {
  const box = $("decision-outcome");
  box.dataset.kind = kind;
  box.classList.toggle("warn", kind === "conflict");
  replaceChildren(
    box,
    h("strong", { text: title }),
    resolution ? h("p", { class: "outcome-decision", text: `Decision: “${resolution.decision}”` }) : null,
    resolution?.guidance ? h("p", { class: "outcome-guidance", text: `Guidance: “${resolution.guidance}”` }) : null,
  );
  show(box);
  if (focus) {
    box.tabIndex = -1;
    box.focus();
  }
}

function toggleOtherwise(open) {
  show($("otherwise-form"), open);
  $("otherwise").setAttribute("aria-expanded", String(open));
  if (open) $("decision-text").focus();
}

async function sendDecision(decision, guidance, button) {
  const current = app.current;
  const pending = current?.view?.pending;
  if (!pending) return;
  const escalationId = pending.escalation_id;
  clearFieldError("decision");
  const buttons = $("decision").querySelectorAll("button");
  await busy(
    button,
    "Sending…",
    async () => {
      try {
        const resolved = await api.resolve(escalationId, decision, guidance);
        if (app.current !== current) return;
        current.handled.add(escalationId);
        current.view.resolutions.set(escalationId, {
          decision: resolved.decision,
          guidance: resolved.guidance,
          resolvedAt: resolved.resolved_at,
        });
        if (current.view.pending?.escalation_id === escalationId) current.view.pending = null;
        renderJob();
        outcome("sent", "Decision sent: the agent resumes with it.", current.view.resolutions.get(escalationId), true);
      } catch (error) {
        if (app.current !== current || error.status === 401) return;
        if (error.status === 409) {
          current.handled.add(escalationId);
          if (current.view.pending?.escalation_id === escalationId) current.view.pending = null;
          renderJob();
          const title = "Already resolved elsewhere (in another tab or session).";
          outcome("conflict", `${title} Updating…`, null, true);
          await catchUp(current);
          const resolution = current.view.resolutions.get(escalationId) || (await fetchResolution(escalationId));
          if (app.current === current) outcome("conflict", title, resolution);
        } else if (error.status === 422 && error.fields.length) {
          const messages = fieldMessages(error);
          if (messages.decision) fieldError("decision-text", messages.decision);
          if (messages.guidance) fieldError("guidance-text", messages.guidance);
          if (!messages.decision && !messages.guidance) fieldError("decision", error.message);
        } else if (error.status === 404) {
          fieldError("decision", "This escalation no longer exists.");
        } else {
          fieldError("decision", error.message);
        }
      }
    },
    buttons,
  );
}

async function fetchResolution(escalationId) {
  try {
    const { escalations } = await api.escalations(app.current.id);
    const found = escalations.find((e) => e.escalation_id === escalationId);
    return found && { decision: found.decision, guidance: found.guidance, resolvedAt: found.resolved_at };
  } catch {
    return null;
  }
}

function acceptRecommendation(event) {
  const pending = app.current?.view?.pending;
  if (!pending) return;
  const decision = `Accepted your recommendation: ${pending.recommended_action}`.slice(0, 2000);
  sendDecision(decision, null, event.currentTarget);
}

function submitOtherwise(event) {
  event.preventDefault();
  clearFieldError("decision-text");
  const decision = $("decision-text").value.trim();
  const guidance = $("guidance-text").value.trim();
  if (!decision) {
    fieldError("decision-text", "Write the decision the agent should follow.");
    $("decision-text").focus();
    return;
  }
  sendDecision(decision, guidance || null, $("send-decision"));
}

// -- timeline -----------------------------------------------------------------------------------------

function renderTimeline(current) {
  const list = $("timeline");
  for (const item of current.view.timeline) {
    if (item.id <= current.renderedUpTo) continue;
    list.prepend(timelineItem(item));
    current.renderedUpTo = item.id;
  }
}

function timelineItem(item) {
  const time = h("time", { datetime: item.time, text: fmt.clockTime(item.time) });
  const line = (kind, title, ...rest) =>
    h(
      "li",
      { class: `tl tl-${kind}`, dataset: { eventId: item.id, type: item.type } },
      h("div", { class: "tl-head" }, h("span", { class: "tl-title" }, title), time),
      ...rest,
    );
  switch (item.type) {
    case EVENT.STEP_COMPLETED:
      return stepItem(item, time);
    case EVENT.STATE_CHANGED:
      return line(
        "state",
        h("span", {}, "State ", h("span", { class: "badge small", dataset: { state: item.state }, text: fmt.stateLabel(item.state) })),
      );
    case EVENT.SLEEPING:
      return line(
        "sleep",
        "Sleeping until the budget refreshes",
        h("p", { class: "tl-text muted", text: `Wakes at ${fmt.utcDateTime(item.wakeAt)}` }),
      );
    case EVENT.WOKE:
      return line("woke", `Woke up: budget at ${item.budgetPct ?? "?"} %`);
    case EVENT.ESCALATION_RAISED:
      return line("escalation", "Escalated to you", h("p", { class: "tl-text", text: item.problem || "" }));
    case EVENT.ESCALATION_RESOLVED:
      return line(
        "resolved",
        "Decision received",
        h("p", { class: "tl-text", text: `“${item.decision ?? ""}”` }),
        item.guidance ? h("p", { class: "tl-text muted", text: `Guidance: ${item.guidance}` }) : null,
      );
    case EVENT.COMPLETED:
      return line("completed", "Completed", h("p", { class: "tl-text", text: fmt.compactJson(item.summary || "", 220) }));
    case EVENT.ERROR:
      return line("error", "Error", h("p", { class: "tl-text", text: item.message || "" }));
    default:
      return line("other", item.type);
  }
}

function stepItem(item, time) {
  const tokens = [`${fmt.count(item.inputTokens)} in`, `${fmt.count(item.outputTokens)} out`];
  if (item.cacheWrite) tokens.push(`${fmt.count(item.cacheWrite)} cache write`);
  if (item.cacheRead) tokens.push(`${fmt.count(item.cacheRead)} cache read`);
  return h(
    "li",
    { class: "tl tl-step", dataset: { eventId: item.id, type: item.type, step: item.step } },
    h(
      "div",
      { class: "tl-head" },
      h("span", { class: "tl-title" }, `Step ${item.step + 1}`, h("span", { class: "tl-stop", text: item.stopReason || "" })),
      time,
    ),
    h(
      "p",
      { class: "tl-metrics" },
      h("span", { class: "tl-cost", text: fmt.money(item.cost) }),
      h("span", { text: `${tokens.join(" · ")} tokens` }),
    ),
    item.toolCalls.length ? h("ul", { class: "tools" }, item.toolCalls.map(toolCall)) : null,
  );
}

function toolCall(call) {
  return h(
    "li",
    { class: `tool${call.is_error ? " tool-error" : ""}` },
    h(
      "div",
      { class: "tool-head" },
      h("code", { class: "tool-name", text: call.name }),
      call.is_error ? h("span", { class: "tag error", text: "failed" }) : null,
      h("span", { class: "tool-input", text: toolSummary(call) }),
    ),
    call.result !== undefined && call.result !== null
      ? h("p", { class: "tool-result", text: fmt.compactJson(call.result, 240) })
      : null,
    h(
      "details",
      { class: "tool-details" },
      h("summary", { text: "Input" }),
      h("pre", { text: JSON.stringify(call.input ?? {}, null, 2) }),
    ),
  );
}

function toolSummary(call) {
  const input = call.input || {};
  switch (call.name) {
    case "update_plan":
      return Array.isArray(input.items) ? `${input.items.length} item${input.items.length === 1 ? "" : "s"}` : "";
    case "save_note":
      return `“${input.key ?? ""}”`;
    case "escalate_to_founder":
      return fmt.compactJson(input.problem || "", 90);
    case "finish":
      return fmt.compactJson(input.summary || "", 90);
    default:
      return fmt.compactJson(input, 90);
  }
}

function renderPlanAndNotes(view) {
  replaceChildren($("plan"), view.plan.map((item) => h("li", { text: item })));
  show($("plan-empty"), view.plan.length === 0);
  const notes = [...view.notes.entries()].flatMap(([key, note]) => [
    h("dt", {}, key, h("span", { class: "muted small", text: ` · step ${note.step + 1}` })),
    h("dd", { text: note.text }),
  ]);
  replaceChildren($("notes"), notes);
  show($("notes-empty"), view.notes.size === 0);
}

// ---------------------------------------------------------------------------------------------------
// Connection indicator, field errors, busy buttons
// ---------------------------------------------------------------------------------------------------

const CONNECTION_TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  live: "Live",
  offline: "Offline",
};

function renderConnection(state, detail = {}) {
  const box = $("connection");
  box.dataset.state = state;
  let text = CONNECTION_TEXT[state] || state;
  if (state === "reconnecting") {
    const seconds = detail.retryAt ? Math.max(1, Math.round((detail.retryAt - Date.now()) / 1000)) : 0;
    text = seconds ? `Reconnecting in ${seconds} s…` : "Reconnecting…";
  }
  setText($("connection-text"), text);
}

function fieldError(name, text) {
  const box = $(`${name}-error`);
  if (!box) return;
  setText(box, text);
  show(box);
  const input = $(name);
  if (input && /^(INPUT|SELECT|TEXTAREA)$/.test(input.tagName)) input.setAttribute("aria-invalid", "true");
}

function clearFieldError(name) {
  const box = $(`${name}-error`);
  if (box) {
    setText(box, "");
    show(box, false);
  }
  $(name)?.removeAttribute("aria-invalid");
}

async function busy(button, label, work, group = [button]) {
  const original = button.textContent;
  for (const b of group) b.disabled = true;
  button.textContent = label;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    for (const b of group) b.disabled = false;
    button.textContent = original;
    button.removeAttribute("aria-busy");
  }
}

function bindHandlers() {
  $("dev-signin").addEventListener("submit", devSignIn);
  $("token-signin").addEventListener("submit", tokenSignIn);
  $("sign-out").addEventListener("click", () => signOut("You signed out."));
  $("new-job").addEventListener("submit", submitNewJob);
  $("refresh-jobs").addEventListener("click", () => refreshJobs());
  $("banner-retry").addEventListener("click", retryAll);
  $("accept").addEventListener("click", acceptRecommendation);
  $("otherwise").addEventListener("click", () => toggleOtherwise($("otherwise-form").hidden));
  $("cancel-decision").addEventListener("click", () => {
    toggleOtherwise(false);
    $("otherwise").focus();
  });
  $("otherwise-form").addEventListener("submit", submitOtherwise);
  $("otherwise-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggleOtherwise(false);
      $("otherwise").focus();
    }
  });
  window.addEventListener("hashchange", route);
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // the address keeps the open job
    $("main").focus();
  });
}

boot();
