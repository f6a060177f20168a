// An independent ActivityPub peer for Hearth's integration tests, built with Fedify.
//
// It serves one Person (`/users/peer`, its keys made at start), that person's inbox and the
// shared `/inbox`, NodeInfo, and the Notes it wrote. Fedify, not Hearth's code, reads every
// incoming request: it verifies the HTTP signature against the sender's key, fetched from the
// sender, and parses the JSON-LD into its own vocabulary. What it accepted, and what it refused,
// the test reads back over a small control API on the same port:
//
//   POST /control/follow {group}                   → {id}  sends Follow{group} to the group
//   POST /control/reply {group, inReplyTo, content, mention?} → {id}  sends Create{Note} to the
//        group; `mention: {href, name}` adds a Mention tag (and the person to cc), as Mastodon does
//   GET  /control/received → {received: [...], unverified: [...]}
//
// Usage: node peer.mjs [port]   (or PORT=…; 0, the default, picks a free port). Prints
// `READY <port>` on stdout once it listens; Fedify's warnings go to stderr.

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import http from "node:http";

// Older Node lacks the Web Crypto globals (`crypto`, `CryptoKey`) Fedify relies on.
if (Number(process.versions.node.split(".")[0]) < 20) {
  console.error(`peer.mjs needs Node.js 20 or newer for Fedify; this is ${process.version}`);
  process.exit(1);
}

// Fedify 2.3 declares Node ≥ 22 and reads `navigator.userAgent` when it loads; Node 20 has no
// `navigator`. Setting one before the (dynamic) imports is all it needs.
globalThis.navigator ??= { userAgent: "node" };
const { createFederation, MemoryKvStore } = await import("@fedify/fedify");
const vocab = await import("@fedify/vocab");
const { Temporal } = await import("@js-temporal/polyfill");
const { configure, defaultTextFormatter } = await import("@logtape/logtape");

const USERNAME = "peer";

// Fedify logs through LogTape; without a sink its complaints (a signature it refused, JSON it
// could not read) would vanish. stdout carries only the READY line, so logs go to stderr.
await configure({
  contextLocalStorage: new AsyncLocalStorage(), // Fedify logs with context; LogTape wants one
  sinks: { stderr: (record) => process.stderr.write(defaultTextFormatter(record)) },
  loggers: [
    { category: "fedify", lowestLevel: "warning", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

// Listen first: the origin (and so every id this peer mints) needs the port.
const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`peer: ${req.method} ${req.url} failed:`, error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  });
});
const requestedPort = Number(process.argv[2] ?? process.env.PORT ?? 0);
await new Promise((resolve) => server.listen(requestedPort, "127.0.0.1", resolve));
const port = server.address().port;
// Hearth's test instances accept `http://localhost:<port>` ids (debug mode); so does this peer.
const origin = new URL(`http://localhost:${port}`);

// Two keys, as Fedify advises: RSA for HTTP signatures (2048 bits, as Mastodon has; Fedify's own
// generator makes 4096-bit keys, seconds of start-up) and Ed25519 for the Object Integrity
// Proofs (FEP-8b32) Fedify attaches to what it sends, as real Fedify servers do.
const keyPairs = [
  await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ),
  await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]),
];
const notes = new Map(); // id (a UUID) → the Note this peer wrote, served at its id
const received = []; // what the inbox accepted, as Fedify understood it
const unverified = []; // what the inbox refused for its signature

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: origin.href,
  // Hearth runs on loopback in the tests; Fedify refuses private addresses otherwise.
  allowPrivateAddress: true,
  // `firstKnock` stays at Fedify's default, as on real Fedify servers: the first request to a
  // server is signed with RFC 9421, which Hearth does not read; Hearth answers 401 and Fedify
  // signs again with draft-cavage ("double knocking"), and remembers that for the server.
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new vocab.Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An ActivityPub peer written with Fedify, for Hearth's tests.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new vocab.Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey, // the RSA key, which HTTP signature verifiers read
      assertionMethods: keys.map((key) => key.multikey), // both, as FEP-521a has them
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USERNAME ? keyPairs : []));

federation.setObjectDispatcher(vocab.Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);

// A name that is not a microblog's, so Hearth sends this peer what it sends Group-aware servers.
federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
  software: { name: "fedify-peer", version: "0.0.0" },
  protocols: ["activitypub"],
  usage: { users: { total: 1 }, localPosts: 0, localComments: 0 },
}));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  // The base class catches every type (Accept, Announce, …); Fedify only calls this after the
  // request's signature verified and the body parsed.
  .on(vocab.Activity, async (_ctx, activity) => {
    const entry = await describe(activity);
    console.error(`peer: received ${entry.type} ${entry.id}`);
    received.push(entry);
  })
  .onUnverifiedActivity((_ctx, activity, reason) => {
    console.error(`peer: refused ${activity.id?.href}: ${JSON.stringify(reason)}`);
    unverified.push({ id: activity.id?.href ?? null, reason: reason.type });
    // Returning nothing keeps Fedify's answer: 401.
  });

/** The short type name Fedify gave an object (`Announce`, `Page`, …). */
function typeName(object) {
  return vocab.getTypeId(object)?.href.replace(/^.*[#/]/, "") ?? null;
}

/**
 * What the test needs of a received activity, read through Fedify's accessors: an Announce's
 * and a Create's `object` are dereferenced by Fedify (embedded, or fetched when given as an
 * id), the rest is given by id.
 */
async function describe(object, depth = 0) {
  const entry = { type: typeName(object), id: object.id?.href ?? null };
  if (object instanceof vocab.Activity) {
    entry.actor = object.actorId?.href ?? null;
    entry.objectId = object.objectId?.href ?? null;
    if (depth < 2 && (object instanceof vocab.Announce || object instanceof vocab.Create)) {
      try {
        const inner = await object.getObject();
        if (inner != null) entry.object = await describe(inner, depth + 1);
      } catch (error) {
        console.error(`peer: Fedify cannot read the object of ${entry.id}:`, error);
        entry.objectError = String(error);
      }
    }
  } else {
    entry.name = object.name?.toString() ?? null;
    entry.content = object.content?.toString() ?? null;
    entry.attributedTo = object.attributionId?.href ?? null;
    entry.audience = object.audienceId?.href ?? null;
    entry.inReplyTo = object.replyTargetId?.href ?? null;
    entry.tags = [];
    try {
      for await (const tag of object.getTags()) {
        entry.tags.push({
          type: typeName(tag),
          href: tag.href?.href ?? null,
          name: tag.name?.toString() ?? null,
        });
      }
    } catch (error) {
      entry.tagsError = String(error);
    }
  }
  return entry;
}

/** Routes one request: the control API here, everything else to Fedify. */
async function handle(req, res) {
  const url = new URL(req.url, origin);
  const body = await readBody(req);
  if (url.pathname.startsWith("/control/")) {
    const reply = await control(req.method, url.pathname, body);
    res.writeHead(reply.status, { "content-type": "application/json" });
    res.end(JSON.stringify(reply.json));
    return;
  }
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const request = new Request(new URL(req.url, `http://${req.headers.host ?? origin.host}`), {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const response = await federation.fetch(request, { contextData: undefined });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** The test's commands. */
async function control(method, path, body) {
  const ctx = federation.createContext(origin, undefined);
  const me = { identifier: USERNAME };
  const input = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
  if (method === "GET" && path === "/control/received") {
    return { status: 200, json: { received, unverified } };
  }
  if (method === "POST" && path === "/control/follow") {
    const group = await lookupGroup(ctx, input.group);
    const follow = new vocab.Follow({
      id: activityId(),
      actor: ctx.getActorUri(USERNAME),
      object: group.id,
    });
    await ctx.sendActivity(me, group, follow);
    return { status: 200, json: { id: follow.id.href } };
  }
  if (method === "POST" && path === "/control/reply") {
    const group = await lookupGroup(ctx, input.group);
    const noteKey = randomUUID();
    const mentioned = input.mention ? new URL(input.mention.href) : null;
    // Addressed as Lemmy addresses a comment: the public, with the community in cc/audience
    // (and a mentioned person in cc too, with a Mention tag, as Mastodon addresses them).
    const note = new vocab.Note({
      id: ctx.getObjectUri(vocab.Note, { id: noteKey }),
      attribution: ctx.getActorUri(USERNAME),
      to: vocab.PUBLIC_COLLECTION,
      ccs: mentioned ? [group.id, mentioned] : [group.id],
      tags: mentioned ? [new vocab.Mention({ href: mentioned, name: input.mention.name })] : [],
      audience: group.id,
      replyTarget: new URL(input.inReplyTo),
      content: input.content,
      mediaType: "text/html",
      published: Temporal.Now.instant(),
    });
    notes.set(noteKey, note);
    const create = new vocab.Create({
      id: activityId(),
      actor: ctx.getActorUri(USERNAME),
      object: note,
      to: vocab.PUBLIC_COLLECTION,
      cc: group.id,
      audience: group.id,
    });
    await ctx.sendActivity(me, group, create);
    return { status: 200, json: { id: note.id.href } };
  }
  return { status: 404, json: { error: `no control command ${method} ${path}` } };
}

/** Fetches a community's actor with Fedify, so its Group JSON is read by Fedify too. */
async function lookupGroup(ctx, id) {
  const group = await ctx.lookupObject(id);
  if (!(group instanceof vocab.Group)) {
    throw new Error(`${id} is not a Group to Fedify: ${group && typeName(group)}`);
  }
  return group;
}

function activityId() {
  return new URL(`/activities/${randomUUID()}`, origin);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

console.log(`READY ${port}`);
