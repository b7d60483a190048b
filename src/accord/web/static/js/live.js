// A small client for the graphql-transport-ws protocol (docs/live.md): one socket, any number of
// subscriptions, reconnection with backoff. Enough for this page; the graphql-ws library does more.

const PROTOCOL = "graphql-transport-ws";
// Close codes after which trying again cannot help: a bad message or a refused subprotocol.
const FATAL = new Set([4400, 4406]);

export class LiveClient {
  /**
   * @param {string | URL} url  ws:// or wss:// URL of /graphql
   * @param {(state: "connecting" | "live" | "offline", retry: boolean) => void} onState
   */
  constructor(url, onState = () => {}) {
    this.url = String(url);
    this.onState = onState;
    this.operations = new Map(); // id -> { payload: () => object, sink }
    this.nextId = 1;
    this.socket = null;
    this.acknowledged = false;
    this.attempts = 0;
    this.timer = null;
  }

  /**
   * Starts a subscription. `payload` is a function returning `{ query, variables }`: it is called
   * again after a reconnection, so variables such as `since` can move on.
   * Returns a function that stops the subscription.
   */
  subscribe(payload, sink) {
    const id = String(this.nextId++);
    this.operations.set(id, { payload, sink });
    if (this.acknowledged) this.send({ id, type: "subscribe", payload: payload() });
    else this.connect();
    return () => {
      if (this.operations.delete(id) && this.acknowledged) this.send({ id, type: "complete" });
    };
  }

  connect() {
    if (this.socket || this.timer) return;
    this.onState("connecting", this.attempts > 0);
    const socket = new WebSocket(this.url, PROTOCOL);
    this.socket = socket;
    socket.addEventListener("open", () => this.send({ type: "connection_init" }));
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.acknowledged = false;
      this.onState("offline", true);
      if (FATAL.has(event.code) || this.operations.size === 0) return;
      // 0.5 s, 1 s, 2 s ... up to 30 s, with jitter so clients do not come back all at once.
      const delay = Math.min(30_000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
      this.attempts += 1;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, delay);
    });
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const operation = this.operations.get(message.id);
    switch (message.type) {
      case "connection_ack": {
        const retry = this.attempts > 0;
        this.acknowledged = true;
        this.attempts = 0;
        for (const [id, { payload }] of this.operations) this.send({ id, type: "subscribe", payload: payload() });
        this.onState("live", retry);
        break;
      }
      case "ping":
        this.send({ type: "pong" });
        break;
      case "next":
        operation?.sink.next(message.payload);
        break;
      case "error":
        this.operations.delete(message.id);
        operation?.sink.error?.(message.payload);
        break;
      case "complete":
        this.operations.delete(message.id);
        operation?.sink.complete?.();
        break;
      default:
        break;
    }
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close() {
    clearTimeout(this.timer);
    this.timer = null;
    this.operations.clear();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "bye");
  }
}

/** The ws:// (or wss://) URL for an http(s):// one. */
export function webSocketUrl(httpUrl) {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url;
}
