// The decision console: the open job's pending escalation, answered by accepting the agent's recommendation or by
// deciding otherwise (with optional guidance), and what became of the answer (sent, or resolved elsewhere).
import { fieldMessages } from "../api.js";
import { $, h, replaceChildren, setText, show } from "../dom.js";
import { busy, clearFieldError, fieldError } from "../forms.js";
import { catchUp, escalationSettled } from "../open-job.js";
import * as state from "../state.js";

let api = null;
// What the panel shows for the open job's record: the escalation it shows (undefined: none rendered yet), and the
// escalations this tab resolved itself (their disappearance is no news from "another session").
let shown = { record: null, escalationId: undefined, handled: new Set() };

export function mountDecision(options) {
  api = options.api;
  $("accept").addEventListener("click", acceptRecommendation);
  $("otherwise").addEventListener("click", () => toggleOtherwise($("otherwise-form").hidden));
  $("cancel-decision").addEventListener("click", closeOtherwise);
  $("otherwise-form").addEventListener("submit", submitOtherwise);
  $("otherwise-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeOtherwise();
  });
  state.subscribe("openJob", render);
}

function render(record) {
  if (record !== shown.record) {
    shown = { record, escalationId: undefined, handled: new Set() };
    show($("decision-outcome"), false); // the last job's outcome is not this one's
  }
  if (!record?.job) return;
  const pending = record.job.pending;
  const key = pending?.escalation_id || null;
  if (key === shown.escalationId) return; // unchanged: leave the form as the founder left it
  const previous = shown.escalationId;
  shown.escalationId = key;
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
  if (previous && !shown.handled.has(previous)) {
    const resolution = record.job.resolutions.get(previous);
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

function closeOtherwise() {
  toggleOtherwise(false);
  $("otherwise").focus();
}

function acceptRecommendation(event) {
  const pending = state.openJob()?.job?.pending;
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

async function sendDecision(decision, guidance, button) {
  const record = state.openJob();
  const pending = record?.job?.pending;
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
        if (state.openJob() !== record) return;
        shown.handled.add(escalationId);
        const resolution = resolutionOf(resolved);
        escalationSettled(record, escalationId, resolution);
        outcome("sent", "Decision sent: the agent resumes with it.", resolution, true);
      } catch (error) {
        if (state.openJob() !== record || error.status === 401) return;
        if (error.status === 409) await resolvedElsewhere(record, escalationId);
        else showRefusal(error);
      }
    },
    buttons,
  );
}

async function resolvedElsewhere(record, escalationId) {
  shown.handled.add(escalationId);
  escalationSettled(record, escalationId);
  const title = "Already resolved elsewhere (in another tab or session).";
  outcome("conflict", `${title} Updating…`, null, true);
  await catchUp(record);
  const resolution = record.job.resolutions.get(escalationId) || (await fetchResolution(record.id, escalationId));
  if (state.openJob() === record) outcome("conflict", title, resolution);
}

function showRefusal(error) {
  if (error.status === 422 && error.fields.length) {
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

async function fetchResolution(jobId, escalationId) {
  try {
    const found = await api.escalation(jobId, escalationId);
    return found && resolutionOf(found);
  } catch {
    return null;
  }
}

/** A resolved escalation as the API returns it (resolve's answer, or an item of the job's escalations). */
function resolutionOf(escalation) {
  return { decision: escalation.decision, guidance: escalation.guidance, resolvedAt: escalation.resolved_at };
}
