// One job as its status and events tell it: bootstrapped from GET /status, then every event applied in event_id
// order. Pure (no DOM, no network) so it is easy to reason about.

export const EVENT = Object.freeze({
  STATE_CHANGED: "agent.state_changed",
  STEP_COMPLETED: "agent.step_completed",
  BUDGET_UPDATED: "agent.budget_updated",
  SLEEPING: "agent.sleeping",
  WOKE: "agent.woke",
  ESCALATION_RAISED: "agent.escalation_raised",
  ESCALATION_RESOLVED: "agent.escalation_resolved",
  COMPLETED: "agent.completed",
  ERROR: "agent.error",
});

export function jobFromStatus(status) {
  return {
    jobId: status.job_id,
    sessionId: status.session_id,
    state: status.state,
    budgetPct: status.budget_pct ?? null,
    wakeAt: status.wake_at ?? null,
    pending: status.pending_escalation || null,
    baseSteps: Number(status.steps) || 0, // what the status counted when the page bootstrapped
    baseCost: Number(status.cost_usd) || 0,
    stepCosts: new Map(), // step -> cost, from step events
    lastEventId: 0,
    timeline: [], // oldest first
    plan: [],
    planStep: null,
    notes: new Map(), // key -> {text, step}
    summary: null,
    error: null,
    resolutions: new Map(), // escalation_id -> {decision, guidance, resolved_at}
  };
}

export function steps(job) {
  let highest = job.baseSteps;
  for (const step of job.stepCosts.keys()) highest = Math.max(highest, step + 1);
  return highest;
}

export function cost(job) {
  let total = job.baseCost;
  for (const [step, usd] of job.stepCosts) if (step >= job.baseSteps) total += usd;
  return total;
}

/** Apply one event. Returns false for a duplicate (event_id already applied). */
export function applyEvent(job, event) {
  const id = Number(event.event_id);
  if (!Number.isFinite(id) || id <= job.lastEventId) return false;
  job.lastEventId = id;
  const item = { id, type: event.type, time: event.timestamp };
  switch (event.type) {
    case EVENT.STATE_CHANGED:
      job.state = event.state;
      item.state = event.state;
      break;
    case EVENT.STEP_COMPLETED: {
      const step = Number(event.step) || 0;
      job.stepCosts.set(step, Number(event.cost_usd) || 0);
      Object.assign(item, {
        step,
        stopReason: event.stop_reason,
        inputTokens: event.input_tokens || 0,
        outputTokens: event.output_tokens || 0,
        cacheWrite: event.cache_creation_input_tokens || 0,
        cacheRead: event.cache_read_input_tokens || 0,
        cost: Number(event.cost_usd) || 0,
        toolCalls: Array.isArray(event.tool_calls) ? event.tool_calls : [],
      });
      if (Array.isArray(event.plan)) {
        job.plan = event.plan.map(String);
        job.planStep = step;
      }
      for (const call of item.toolCalls) {
        if (call.is_error || !call.input) continue;
        if (call.name === "update_plan" && Array.isArray(call.input.items) && !Array.isArray(event.plan)) {
          job.plan = call.input.items.map(String);
          job.planStep = step;
        } else if (call.name === "save_note" && call.input.key !== undefined) {
          job.notes.set(String(call.input.key), { text: String(call.input.text ?? ""), step });
        }
      }
      break;
    }
    case EVENT.BUDGET_UPDATED:
      job.budgetPct = event.budget_pct;
      return true; // shown by the budget bar, not in the timeline
    case EVENT.SLEEPING:
      job.wakeAt = event.wake_at;
      item.wakeAt = event.wake_at;
      break;
    case EVENT.WOKE:
      if (event.budget_pct !== undefined) job.budgetPct = event.budget_pct;
      item.budgetPct = event.budget_pct;
      break;
    case EVENT.ESCALATION_RAISED:
      job.pending = {
        escalation_id: event.escalation_id,
        status: "pending",
        problem: event.problem,
        tried: event.tried,
        recommended_action: event.recommended_action,
      };
      Object.assign(item, { escalationId: event.escalation_id, problem: event.problem });
      break;
    case EVENT.ESCALATION_RESOLVED:
      job.resolutions.set(event.escalation_id, {
        decision: event.resolution,
        guidance: event.guidance ?? null,
        resolvedAt: event.resolved_at,
      });
      if (job.pending && job.pending.escalation_id === event.escalation_id) job.pending = null;
      Object.assign(item, { escalationId: event.escalation_id, decision: event.resolution, guidance: event.guidance });
      break;
    case EVENT.COMPLETED:
      job.summary = event.summary ?? "";
      item.summary = event.summary;
      break;
    case EVENT.ERROR:
      job.error = event.message ?? "";
      item.message = event.message;
      break;
    default:
      item.unknown = true;
  }
  job.timeline.push(item);
  return true;
}
