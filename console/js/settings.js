// Where the APIs are: console/config.js, with defaults for the local cloud.
import config from "../config.js";

export const GRACEFUL_PCT = 90; // the budget's graceful threshold (DESIGN.md): the bar turns amber here

export function resolveSettings(cfg = config, location = window.location) {
  const apiBase = String(cfg.apiBase || location.origin).replace(/\/+$/, "");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const wsUrl = String(cfg.wsUrl || `${scheme}://${location.hostname}:3001`);
  return { apiBase, wsUrl };
}
