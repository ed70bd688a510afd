// Type declarations for tether's browser client (web/dist/socket.io.js,
// served at /socket.io/socket.io.js): the global `io`, API-compatible with
// socket.io-client 4 for what applications use.

declare namespace io {
  type Listener = (...args: any[]) => void;

  /** Reasons of a socket's "disconnect" event. */
  type DisconnectReason =
    | "io server disconnect"
    | "io client disconnect"
    | "ping timeout"
    | "transport close"
    | "transport error"
    | "parse error"
    | "forced close";

  /** on, once, off, listeners; `emit` fires local listeners (a Socket sends instead). */
  class Emitter {
    on(event: string, listener: Listener): this;
    once(event: string, listener: Listener): this;
    /** off() removes every listener, off(event) those of the event, off(event, listener) one. */
    off(event?: string, listener?: Listener): this;
    removeListener(event?: string, listener?: Listener): this;
    removeAllListeners(event?: string): this;
    listeners(event: string): Listener[];
    emit(event: string, ...args: any[]): this;
  }

  interface ManagerOptions {
    /** Default "/socket.io/". */
    path?: string;
    /** Default ["polling", "websocket"]; ["websocket"] for WebSocket only. */
    transports?: ("polling" | "websocket")[];
    /** Upgrade from polling to WebSocket. Default true. */
    upgrade?: boolean;
    /** Query parameters of every Engine.IO request. */
    query?: Record<string, string> | string;
    /** Send cookies on cross-origin polling requests. Default false. */
    withCredentials?: boolean;
    /** Default true. */
    reconnection?: boolean;
    /** Default Infinity. */
    reconnectionAttempts?: number;
    /** The first delay, doubled at each attempt. Default 1000 ms. */
    reconnectionDelay?: number;
    /** Default 5000 ms. */
    reconnectionDelayMax?: number;
    /** Jitter, 0 to 1. Default 0.5. */
    randomizationFactor?: number;
    /** Connect timeout in ms, or false. Default 20000. */
    timeout?: number | false;
    /** Connect as soon as created. Default true. */
    autoConnect?: boolean;
  }

  interface SocketOptions {
    /** Sent in the namespace's CONNECT; a function is called with a callback to take it. */
    auth?: { [key: string]: any } | ((cb: (data: object) => void) => void);
    /** Default timeout of acks (no timeout by default). */
    ackTimeout?: number;
  }

  interface Options extends ManagerOptions, SocketOptions {
    /** A Manager of its own instead of the one cached for the origin. */
    forceNew?: boolean;
    /** false: same as forceNew. */
    multiplex?: boolean;
  }

  interface Packet {
    type: "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop" | "error";
    data?: any;
  }

  interface Transport extends Emitter {
    readonly name: "polling" | "websocket";
    readonly writable: boolean | number;
  }

  /**
   * The Engine.IO connection. Events: open, handshake, packet, data, ping,
   * drain, upgrade, upgradeError, error, close (reason, error).
   */
  interface Engine extends Emitter {
    readonly id: string | null;
    readonly readyState: "opening" | "open" | "closing" | "closed";
    readonly transport: Transport;
    readonly opts: Options;
    write(data: string | ArrayBuffer | ArrayBufferView | Blob): this;
    close(): this;
  }

  /**
   * One Engine.IO connection shared by the namespaces of an origin. Events:
   * open, close (reason), error, packet, ping, reconnect_attempt (attempt),
   * reconnect (attempts), reconnect_error (error), reconnect_failed.
   */
  class Manager extends Emitter {
    constructor(uri?: string, opts?: Options);
    constructor(opts?: Options);
    readonly opts: Options;
    /** The current Engine.IO connection (a new one after each reconnection). */
    readonly engine: Engine;
    open(fn?: (err?: Error) => void): this;
    connect(fn?: (err?: Error) => void): this;
    socket(nsp: string, opts?: SocketOptions): Socket;
    reconnect(): this;
    disconnect(): void;
    close(): void;
    reconnection(): boolean;
    reconnection(v: boolean): this;
    reconnectionAttempts(): number;
    reconnectionAttempts(v: number): this;
    reconnectionDelay(): number;
    reconnectionDelay(v: number): this;
    reconnectionDelayMax(): number;
    reconnectionDelayMax(v: number): this;
    randomizationFactor(): number;
    randomizationFactor(v: number): this;
    timeout(): number | false;
    timeout(v: number | false): this;
  }

  /**
   * A namespace's socket. Events: connect, connect_error (err with
   * `message` and the server's `data`), disconnect (reason), and the
   * server's events.
   */
  class Socket extends Emitter {
    /** The Manager. */
    readonly io: Manager;
    readonly nsp: string;
    /** Set once connected, unset on disconnect. */
    readonly id: string | undefined;
    readonly connected: boolean;
    readonly disconnected: boolean;
    /** Whether the last connection recovered the session (connection state recovery). */
    readonly recovered: boolean;
    /** Whether the socket is subscribed to its Manager (reconnects with it). */
    readonly active: boolean;
    auth: SocketOptions["auth"];
    /** Packets emitted while disconnected, sent on connect. */
    sendBuffer: object[];
    /** Sends an event; a function as the last argument gets the server's ack. */
    emit(event: string, ...args: any[]): this;
    /** Sends an event and resolves with the first argument of the server's ack. */
    emitWithAck(event: string, ...args: any[]): Promise<any>;
    send(...args: any[]): this;
    /** For the next emit: the ack callback gets (err, ...args), err after `ms`. */
    timeout(ms: number): this;
    /** For the next emit: dropped unless the transport is connected and writable. */
    readonly volatile: this;
    compress(compress: boolean): this;
    onAny(listener: Listener): this;
    offAny(listener?: Listener): this;
    listenersAny(): Listener[];
    connect(): this;
    open(): this;
    disconnect(): this;
    close(): this;
  }

  const protocol: 5;
  function connect(uri?: string, opts?: Options): Socket;
  function connect(opts?: Options): Socket;
  function io(uri?: string, opts?: Options): Socket;
  function io(opts?: Options): Socket;
}

/**
 * A socket for the URL's namespace (default "/"), on the Manager cached for
 * the URL's origin and path unless `forceNew`. The URL may be relative to
 * the page ("/chat"), a bare host or absent (the page's origin).
 */
declare function io(uri?: string, opts?: io.Options): io.Socket;
declare function io(opts?: io.Options): io.Socket;
