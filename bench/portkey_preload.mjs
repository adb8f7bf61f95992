// Loaded with `node --import ./portkey_preload.mjs`: Portkey's gateway listens on every interface
// and has no option to change that, so make net.Server.prototype.listen (which http.Server uses)
// bind BENCH_BIND_HOST (default 127.0.0.1) whenever the caller gave a TCP port but no host.
import net from "node:net";

const HOST = process.env.BENCH_BIND_HOST || "127.0.0.1";
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value));
}

function bindLoopback(args) {
  const [first] = args;
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    const isTcp = first.path === undefined && first.fd === undefined && first.handle === undefined;
    return isTcp ? [{ ...first, host: HOST }, ...args.slice(1)] : args;
  }
  if (!isPort(first)) {
    return args; // a pipe path, a handle, or listen() with no port: leave alone
  }
  const rest = args.slice(1);
  if (rest.length > 0 && (typeof rest[0] === "string" || rest[0] === undefined || rest[0] === null)) {
    rest[0] = HOST;
  } else {
    rest.unshift(HOST);
  }
  return [first, ...rest];
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  return originalListen.apply(this, bindLoopback(args));
};
