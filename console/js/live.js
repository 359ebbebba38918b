// The WebSocket feed: connects with the token, subscribes to the open job with `after` = the last event id
// the page has, reconnects with exponential backoff (and resubscribes), and reports its state.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class LiveFeed {
  /**
   * @param {object} options
   * @param {string} options.url        the WebSocket API URL (without the token)
   * @param {() => string} options.token
   * @param {() => number} options.after the last event id the page has for the followed job
   * @param {(event: object) => void} options.onEvent
   * @param {(state: string, detail?: object) => void} options.onStatus  connecting | live | reconnecting | offline
   * @param {(message: string) => void} [options.onServerError]  {"type": "error"} messages
   * @param {(attempt: number) => void} [options.onDrop]  a connection closed or could not open
   */
  constructor(options) {
    Object.assign(this, options);
    this.socket = null;
    this.jobId = null;
    this.attempt = 0;
    this.timer = null;
    this.running = false;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.onStatus("offline");
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(1000, "signed out");
    }
    this.onStatus("idle");
  }

  /** Follow one job (or none): unsubscribes the previous one and subscribes from `after`. */
  follow(jobId) {
    if (this.jobId && this.jobId !== jobId) this.send({ action: "unsubscribe", job_id: this.jobId });
    this.jobId = jobId;
    if (jobId) this.send({ action: "subscribe", job_id: jobId, after: this.after() });
  }

  /** Ask again for what was missed (e.g. after a gap), without reconnecting. */
  resubscribe() {
    if (this.jobId) this.send({ action: "subscribe", job_id: this.jobId, after: this.after() });
  }

  reconnectNow() {
    if (!this.running) return;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.timer);
    this.connect();
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  connect() {
    if (!this.running) return;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting", { attempt: this.attempt });
    let url;
    try {
      url = new URL(this.url);
      url.searchParams.set("token", this.token());
    } catch {
      this.onServerError?.(`The WebSocket URL is not valid: ${this.url}`);
      this.onStatus("offline");
      return;
    }
    let opened = false;
    const socket = new WebSocket(url.toString());
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.onStatus("live");
      if (this.jobId) this.send({ action: "subscribe", job_id: this.jobId, after: this.after() });
    };
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!data || typeof data !== "object") return;
      if (data.type === "error") this.onServerError?.(String(data.message || "error"));
      else if (typeof data.type === "string" && data.job_id === this.jobId) this.onEvent(data);
    };
    socket.onclose = () => {
      if (this.socket !== socket || !this.running) return;
      this.socket = null;
      this.attempt += 1;
      const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** (this.attempt - 1)) * (0.8 + Math.random() * 0.4);
      this.onStatus(navigator.onLine === false ? "offline" : "reconnecting", {
        attempt: this.attempt,
        retryAt: Date.now() + delay,
        wasLive: opened,
      });
      this.onDrop?.(this.attempt);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
