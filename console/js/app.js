// The founder console: boots, signs a founder in and out, routes #/jobs/<id> to the open job, and wires the views
// to the HTTP API and the live feed. What the views share is in state.js; each view is in views/.
import { Api } from "./api.js";
import { claimsOf, session, takeFragmentToken, tokenProblem } from "./auth.js";
import { ServerClock } from "./clock.js";
import { $, show } from "./dom.js";
import { LiveFeed } from "./live.js";
import * as openJob from "./open-job.js";
import { resolveSettings } from "./settings.js";
import * as state from "./state.js";
import * as connection from "./views/connection.js";
import { mountDecision } from "./views/decision.js";
import { mountJob } from "./views/job.js";
import { mountJobs, refreshJobs, startJobs, stopJobs } from "./views/jobs.js";
import * as signin from "./views/signin.js";
import { mountTimeline } from "./views/timeline.js";

const settings = resolveSettings();
const SESSION_ENDED = "Your session expired or the token was refused. Sign in again.";
const PROBE_INTERVAL_MS = 4000;

const api = new Api(settings.apiBase, () => session.token, {
  onUnauthorized: () => signOut(SESSION_ENDED),
  onUnreachable: connection.apiUnreachable,
  onReachable: connection.apiReachable,
});
const clock = new ServerClock(settings.apiBase);

let feed = null; // the signed-in founder's live feed
let expiryTimer = null;
let lastProbe = 0;
let lastRoute = ""; // the last #/… route: back in the address when a #token= link is declined

async function boot() {
  mountViews();
  const linkToken = takeFragmentToken();
  const local = await clock.sync();
  signin.offerDevSignIn(local);
  show($("boot"), false);
  if (linkToken) {
    await followSignInLink(linkToken);
    return;
  }
  const token = session.token;
  const problem = token ? tokenProblem(token) : null;
  if (token && !problem) {
    enterWorkspace();
  } else {
    session.clear();
    signin.showSignIn(problem === "expired" ? "Your session expired. Sign in again." : null);
  }
}

function mountViews() {
  signin.mountSignIn({ api, onSignedIn });
  connection.mountConnection({ onRetry: retryAll });
  mountJobs({ api, clock });
  mountJob({ clock });
  mountDecision({ api });
  mountTimeline();
  openJob.connectOpenJob({ api, follow: (jobId) => feed?.follow(jobId) });
  $("sign-out").addEventListener("click", () => signOut("You signed out."));
  window.addEventListener("hashchange", onHashChange);
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // the address keeps the open job
    $("main").focus();
  });
}

// -- signing in and out -----------------------------------------------------------------------------

function onSignedIn(token) {
  session.save(token);
  enterWorkspace();
}

function enterWorkspace() {
  const claims = claimsOf(session.token) || {};
  state.setFounder(claims.sub);
  signin.showWorkspace(session.token);
  scheduleExpiry(claims);
  feed = new LiveFeed({
    url: settings.wsUrl,
    token: () => session.token,
    after: () => state.openJob()?.job?.lastEventId ?? 0,
    onEvent: openJob.receive,
    onStatus: connection.showConnection,
    onServerError: (message) => console.warn("WebSocket API:", message),
    onDrop: probeApi,
  });
  feed.start();
  startJobs();
  route();
}

/** Stops everything the signed-in founder had running; false when no one was signed in. */
function leaveWorkspace() {
  if (!state.founder()) return false;
  state.setFounder(null);
  feed?.stop();
  feed = null;
  clearTimeout(expiryTimer);
  stopJobs();
  connection.resetConnection();
  openJob.close();
  return true;
}

function signOut(message) {
  if (!leaveWorkspace()) return;
  session.clear();
  signin.showSignIn(message);
}

/**
 * A `#token=` link, already taken out of the address: signs in with its token, but asks first when it would
 * replace another founder signed in in this tab (declined: that founder stays, where they were).
 */
async function followSignInLink(token) {
  const current = storedFounder();
  const next = claimsOf(token)?.sub || null;
  if (current && next !== current && !(await signin.askToSwitch(current, next))) {
    if (state.founder()) restoreRoute();
    else if (storedFounder()) enterWorkspace();
    else signin.showSignIn("Your session expired. Sign in again."); // while the question was open
    return;
  }
  if (current && next === current) restoreRoute(); // the same founder: back on the same job once signed in again
  leaveWorkspace();
  await signin.signInWithLink(token);
}

/** The founder this tab's stored token signs in (signed in, or about to be at boot), or null. */
function storedFounder() {
  const token = session.token;
  return token && !tokenProblem(token) ? claimsOf(token).sub : null;
}

function scheduleExpiry(claims) {
  if (typeof claims.exp !== "number") return;
  const left = claims.exp * 1000 - Date.now();
  expiryTimer = setTimeout(() => signOut("Your session expired. Sign in again."), Math.min(left, 2 ** 31 - 1));
}

// -- routing ----------------------------------------------------------------------------------------

function onHashChange() {
  if (!location.hash.startsWith("#token=")) return route();
  const token = takeFragmentToken(); // out of the address (and the history) whatever the answer
  if (token) followSignInLink(token);
  else restoreRoute();
}

function route() {
  if (!state.founder()) return;
  if (location.hash && !location.hash.startsWith("#/")) return; // an in-page anchor, not a route
  lastRoute = location.hash;
  const match = /^#\/jobs\/([^/?#]+)/.exec(location.hash);
  if (match) openJob.open(decodeURIComponent(match[1]));
  else openJob.close();
}

function restoreRoute() {
  history.replaceState(null, "", lastRoute || location.pathname + location.search);
}

// -- API reachability -------------------------------------------------------------------------------

function retryAll() {
  if (!state.founder()) return;
  refreshJobs({ quiet: true });
  openJob.retry();
  feed?.reconnectNow();
}

function probeApi() {
  // The socket dropped or would not open: an expired token or a down API shows up here, not on the socket.
  if (Date.now() - lastProbe < PROBE_INTERVAL_MS) return;
  lastProbe = Date.now();
  refreshJobs({ quiet: true });
}

boot();
