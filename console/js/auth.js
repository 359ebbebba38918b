// The founder's token: kept in sessionStorage (this tab only), never in the page address.

const KEY = "cofounder.token";

export const session = {
  get token() {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  save(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      /* storage unavailable: nothing to clear */
    }
  },
};

/** The token's claims (not verified: the APIs do that), or null when it is not a JWT. */
export function claimsOf(token) {
  try {
    const part = String(token).split(".")[1];
    if (!part) return null;
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** Why a token cannot be used ("malformed" | "expired"), or null. Expiry is wall-clock time, like the APIs. */
export function tokenProblem(token, nowMs = Date.now()) {
  const claims = claimsOf(token);
  if (!claims || !claims.sub) return "malformed";
  if (typeof claims.exp === "number" && claims.exp * 1000 <= nowMs) return "expired";
  return null;
}

/** A `#token=...` fragment (a link that signs in): taken once, then removed from the address. */
export function takeFragmentToken(location = window.location, history = window.history) {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
