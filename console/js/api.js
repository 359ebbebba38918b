// The HTTP API client: bearer token, JSON, and errors a page can show (status 0 = unreachable).

export class ApiError extends Error {
  constructor(status, message, fields = [], body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = Array.isArray(fields) ? fields : [];
    this.body = body;
  }

  get unreachable() {
    return this.status === 0;
  }
}

const TIMEOUT_MS = 15000;

export class Api {
  /** Hooks: onUnauthorized() on a 401 with the session's token; onUnreachable(error) / onReachable(). */
  constructor(base, tokenSource, { onUnauthorized, onUnreachable, onReachable } = {}) {
    this.base = base;
    this.tokenSource = tokenSource;
    this.onUnauthorized = onUnauthorized;
    this.onUnreachable = onUnreachable;
    this.onReachable = onReachable;
  }

  async request(method, path, { body, auth = true, token } = {}) {
    const headers = { accept: "application/json" };
    const bearer = token || (auth ? this.tokenSource() : null);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      const error = new ApiError(0, `Can't reach the API at ${this.base || "this site"}.`);
      this.onUnreachable?.(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (response.status < 500) this.onReachable?.();
    let data = null;
    try {
      const text = await response.text();
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (response.status === 401 && auth && !token) {
      this.onUnauthorized?.();
    }
    if (!response.ok) {
      const message = (data && typeof data.message === "string" && data.message) || `The API answered ${response.status}.`;
      throw new ApiError(response.status, message, data?.fields, data);
    }
    return data;
  }

  jobs(limit = 50, token) {
    return this.request("GET", `/api/jobs?limit=${limit}`, { token });
  }

  createJob(body) {
    return this.request("POST", "/api/jobs", { body });
  }

  status(jobId) {
    return this.request("GET", `/api/jobs/${encodeURIComponent(jobId)}/status`);
  }

  escalations(jobId, after = null) {
    const query = after ? `?after=${encodeURIComponent(after)}` : "";
    return this.request("GET", `/api/jobs/${encodeURIComponent(jobId)}/escalations${query}`);
  }

  /** One of the job's escalations, looked for page by page; null when it has none with that id. */
  async escalation(jobId, escalationId) {
    let after = null;
    do {
      const page = await this.escalations(jobId, after);
      const found = page.escalations.find((e) => e.escalation_id === escalationId);
      if (found) return found;
      after = page.next_after ?? null;
    } while (after);
    return null;
  }

  events(jobId, after = 0) {
    return this.request("GET", `/api/jobs/${encodeURIComponent(jobId)}/events?after=${after}`);
  }

  /** Every event after `after`, in order: the log is read page by page until `next_after` is null. */
  async eventsAfter(jobId, after = 0) {
    const events = [];
    let cursor = after;
    for (;;) {
      const page = await this.events(jobId, cursor);
      events.push(...page.events);
      const next = page.next_after ?? null;
      if (next === null || next === cursor) return events;
      cursor = next;
    }
  }

  resolve(escalationId, decision, guidance) {
    const body = guidance ? { decision, guidance } : { decision };
    return this.request("POST", `/api/escalations/${encodeURIComponent(escalationId)}/resolve`, { body });
  }

  /** The priced models, from the OpenAPI document (CreateJob.model's enum). */
  async models() {
    const doc = await this.request("GET", "/api/openapi.json", { auth: false });
    const model = doc?.components?.schemas?.CreateJob?.properties?.model || {};
    const variants = [model, ...(model.anyOf || []), ...(model.oneOf || [])];
    const names = variants.flatMap((v) => (Array.isArray(v.enum) ? v.enum : []));
    return [...new Set(names)];
  }

  /** The local cloud's dev sign-in (absent on AWS). */
  devToken(sub) {
    return this.request("POST", "/_local/token", { body: { sub }, auth: false });
  }
}

/** `Invalid request: goal: String should have ...; model: ...` -> {goal: "String should have ...", ...} */
export function fieldMessages(error) {
  const out = {};
  const message = String(error.message || "").replace(/^Invalid request:\s*/, "");
  for (const field of error.fields) {
    const part = message.split("; ").find((p) => p.startsWith(`${field}: `));
    const text = part ? part.slice(field.length + 2) : message;
    out[field] = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return out;
}
