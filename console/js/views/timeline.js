// The open job's timeline, newest first: each event once, new ones added on top as they arrive.
import { $, h, replaceChildren } from "../dom.js";
import * as fmt from "../format.js";
import { EVENT } from "../job-events.js";
import * as state from "../state.js";

let shown = { job: null, upTo: 0 }; // the job the list shows, and the last event id in it

export function mountTimeline() {
  state.subscribe("openJob", render);
}

function render(record) {
  const job = record?.job ?? null;
  const list = $("timeline");
  if (job !== shown.job) {
    replaceChildren(list);
    shown = { job, upTo: 0 };
  }
  if (!job) return;
  for (const item of job.timeline) {
    if (item.id <= shown.upTo) continue;
    list.prepend(timelineItem(item));
    shown.upTo = item.id;
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
