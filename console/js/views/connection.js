// The connection indicator in the top bar (the live feed's state), and the banner shown while the HTTP API
// can't be reached: it retries with a growing delay, or now from its button.
import { $, setText, show } from "../dom.js";
import * as state from "../state.js";

const TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  live: "Live",
  offline: "Offline",
};

let retry = () => {};
let failures = 0; // calls that could not reach the API since it last answered
let retryTimer = null;

/** onRetry(): what to try again when the API may be back. */
export function mountConnection({ onRetry }) {
  retry = onRetry;
  $("banner-retry").addEventListener("click", () => retry());
}

/** The live feed's onStatus. */
export function showConnection(status, detail = {}) {
  const box = $("connection");
  box.dataset.state = status;
  let text = TEXT[status] || status;
  if (status === "reconnecting") {
    const seconds = detail.retryAt ? Math.max(1, Math.round((detail.retryAt - Date.now()) / 1000)) : 0;
    text = seconds ? `Reconnecting in ${seconds} s…` : "Reconnecting…";
  }
  setText($("connection-text"), text);
}

/** The API client's onUnreachable. */
export function apiUnreachable(error) {
  if (!state.founder()) return;
  failures += 1;
  const delay = Math.min(30000, 2000 * 2 ** (failures - 1));
  showBanner(`${error.message} Retrying in ${Math.round(delay / 1000)} s…`);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => retry(), delay);
}

/** The API client's onReachable. */
export function apiReachable() {
  if (failures === 0) return;
  failures = 0;
  clearTimeout(retryTimer);
  hideBanner();
}

/** Signed out: no banner, no retry pending. */
export function resetConnection() {
  failures = 0;
  clearTimeout(retryTimer);
  hideBanner();
}

function showBanner(text) {
  setText($("banner-text"), text);
  show($("banner-retry"));
  show($("banner"));
}

function hideBanner() {
  show($("banner"), false);
}
