// The sign-in screen: the local cloud's dev sign-in and a pasted token. A token is checked against the API before
// it replaces anything; then onSignedIn(token) takes over. Also the question a `#token=` link asks before it
// replaces the founder signed in in this tab.
import { claimsOf, tokenProblem } from "../auth.js";
import { $, h, replaceChildren, setText, show } from "../dom.js";
import { busy, clearFieldError, fieldError } from "../forms.js";

let api = null;
let signedIn = () => {};

/** onSignedIn(token): a token the API accepted. */
export function mountSignIn(options) {
  api = options.api;
  signedIn = options.onSignedIn;
  $("dev-signin").addEventListener("submit", devSignIn);
  $("token-signin").addEventListener("submit", tokenSignIn);
  const dialog = $("switch-founder");
  $("switch-accept").addEventListener("click", () => dialog.close("switch"));
  $("switch-decline").addEventListener("click", () => dialog.close("stay"));
}

/** The dev sign-in is offered only where it works: on the local cloud. */
export function offerDevSignIn(available) {
  show($("dev-signin"), available);
}

export function showSignIn(message) {
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

/** The workspace takes the page: the founder's id in the top bar. */
export function showWorkspace(token) {
  setText($("founder"), claimsOf(token)?.sub || "");
  show($("signin"), false);
  show($("session-bar"));
  show($("workspace"));
}

/** A token from a `#token=` link: shown in the token field while the API checks it. */
export function signInWithLink(token) {
  showSignIn(null);
  $("token-input").value = token;
  return signInWith(token, "token");
}

/**
 * Asks whether a `#token=` link for founder `to` (null: the token names none) may replace founder `from`, signed in
 * in this tab. Resolves true to switch; false to stay (also on Escape, or while the question is already asked).
 */
export function askToSwitch(from, to) {
  const dialog = $("switch-founder");
  if (dialog.open) return Promise.resolve(false);
  const who = (id) => h("strong", { text: id });
  replaceChildren(
    $("switch-text"),
    ...(to ? ["This link signs in as ", who(to), "."] : ["This link carries a token that names no founder."]),
    " You are signed in as ",
    who(from),
    " in this tab.",
  );
  setText($("switch-accept"), to ? `Switch to ${to}` : "Use the link's token");
  setText($("switch-decline"), `Stay signed in as ${from}`);
  dialog.returnValue = "";
  const answer = new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "switch"), { once: true });
  });
  dialog.showModal();
  return answer;
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
  $("token-input").value = "";
  signedIn(token);
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
