// "Now" for countdowns: the local cloud's clock (it time-travels) when it has one, else this machine's.

export class ServerClock {
  constructor(base) {
    this.base = base;
    this.offsetMs = 0;
    this.local = false;
  }

  /** Reads GET /_local/clock; true when the local cloud answered (it also offers the dev sign-in). */
  async sync() {
    const sent = Date.now();
    try {
      const response = await fetch(`${this.base}/_local/clock`, { cache: "no-store", credentials: "omit" });
      if (!response.ok) return false;
      const body = await response.json();
      const received = Date.now();
      const server = Date.parse(body?.now);
      if (Number.isNaN(server)) return false;
      this.offsetMs = server - (sent + received) / 2;
      this.local = true;
      return true;
    } catch {
      return false;
    }
  }

  now() {
    return Date.now() + this.offsetMs;
  }
}
