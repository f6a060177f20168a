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
//   POST /control/rsvp {event, type, to?}          → {id}  answers an Event: `type` is `Join` or
//        `Leave` (Mobilizon) or `Accept`, `TentativeAccept`, `Reject` (Friendica); the activity's
//        `object` is the event's id. Sent to `to` (an actor; default: the event's attributedTo)
//        and, when the event has an `audience`, to that Group too; to: those actors, cc: Public
//   POST /control/vote {question, choices: [name, …]} → {ids, activities}  votes as Mastodon
//        does: per choice a Create{Note{name, inReplyTo: question}} (no content) to the
//        question's author only; `ids` are the Notes' ids (served at them), `activities` the
//        Creates'
//   GET  /control/object?id=URL → the object as Fedify reads it (what `received` shows of one
//        object), fetched with lookupObject; 404 {error} when Fedify cannot fetch or read it
//   GET  /control/received → {received: [...], unverified: [...], sent: [...]}
//
// Commands answer 200 with JSON, or 4xx with {error} when the input or what it names is wrong
// (422: the id is not an Event/Question/Group/actor to Fedify).
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
const sent = []; // the RSVPs and votes this peer sent, described as `received` is

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
 * What the test needs of a received activity, read through Fedify's accessors: the `object` of
 * an Announce, a Create and an Update is dereferenced by Fedify (embedded, or fetched when given
 * as an id), the rest is given by id. An Event adds its times and place, a Question its options
 * and counts.
 */
async function describe(object, depth = 0) {
  const entry = { type: typeName(object), id: object.id?.href ?? null };
  // Fedify makes Question an (intransitive) Activity, as ActivityStreams does; the test wants it
  // described as the poll it is.
  if (object instanceof vocab.Activity && !(object instanceof vocab.Question)) {
    entry.actor = object.actorId?.href ?? null;
    entry.objectId = object.objectId?.href ?? null;
    const wrapsContent =
      object instanceof vocab.Announce ||
      object instanceof vocab.Create ||
      object instanceof vocab.Update;
    if (depth < 2 && wrapsContent) {
      try {
        const inner = await object.getObject();
        if (inner != null) entry.object = await describe(inner, depth + 1);
      } catch (error) {
        console.error(`peer: Fedify cannot read the object of ${entry.id}:`, error);
        entry.objectError = String(error);
      }
    }
    if (object instanceof vocab.Accept || object instanceof vocab.Reject) {
      entry.objectType = await embeddedObjectType(object);
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
    if (object instanceof vocab.Event) await describeEvent(object, entry);
    if (object instanceof vocab.Question) await describeQuestion(object, entry);
  }
  return entry;
}

/** An Event's times (ISO 8601, UTC) and the name of its Place, as Fedify reads them. */
async function describeEvent(event, entry) {
  entry.startTime = event.startTime?.toString() ?? null;
  entry.endTime = event.endTime?.toString() ?? null;
  entry.location = null;
  try {
    const place = await event.getLocation();
    if (place != null) entry.location = { name: place.name?.toString() ?? null };
  } catch (error) {
    // A place Fedify cannot fetch or read is the test's to judge, not a reason to lose the rest.
    entry.locationError = String(error);
  }
}

/** A poll's options with their vote counts, whether it takes several answers, and its close. */
async function describeQuestion(question, entry) {
  const inclusive = await optionsOf(question.getInclusiveOptions(), entry);
  entry.multiple = inclusive.length > 0;
  entry.options = entry.multiple
    ? inclusive
    : await optionsOf(question.getExclusiveOptions(), entry);
  entry.endTime = question.endTime?.toString() ?? null;
  entry.voters = question.voters ?? null;
  const closed = question.closed;
  entry.closed = typeof closed === "boolean" || closed == null ? closed : closed.toString();
}

/** `[{name, count}]` of a poll's options: each option Note's name and its replies' totalItems. */
async function optionsOf(options, entry) {
  const described = [];
  try {
    for await (const option of options) {
      let count = null;
      try {
        count = (await option.getReplies())?.totalItems ?? null;
      } catch (error) {
        entry.optionsError = String(error);
      }
      described.push({ name: option.name?.toString() ?? null, count });
    }
  } catch (error) {
    entry.optionsError = String(error);
  }
  return described;
}

/**
 * The type of an activity's `object` when it came embedded, or null when it came as a bare id.
 * The compacted JSON-LD tells which without a fetch (a fetch that fails, for the peer's own
 * Follow it does not serve, would only fill the log). Cross-origin objects are trusted here
 * (Hearth's Accept embeds the peer's own Follow) since only the type is read.
 */
async function embeddedObjectType(activity) {
  try {
    const json = await activity.toJsonLd();
    const object = Array.isArray(json.object) ? json.object[0] : json.object;
    if (object == null || typeof object !== "object") return null;
    const inner = await activity.getObject({ crossOrigin: "trust" });
    return inner == null ? null : typeName(inner);
  } catch (error) {
    console.error(`peer: cannot read the embedded object of ${activity.id?.href}:`, error);
    return null;
  }
}

/** Routes one request: the control API here, everything else to Fedify. */
async function handle(req, res) {
  const url = new URL(req.url, origin);
  const body = await readBody(req);
  if (url.pathname.startsWith("/control/")) {
    const reply = await control(req.method, url, body);
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

/** A command the test got wrong, or that names something Fedify cannot use: a 4xx, not a 500. */
class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The test's commands; a ControlError becomes `{error}` with its status. */
async function control(method, url, body) {
  try {
    return await runCommand(method, url, body);
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    console.error(`peer: ${method} ${url.pathname}: ${error.message}`);
    return { status: error.status, json: { error: error.message } };
  }
}

/** Activities the Join/Leave/Accept/… of `POST /control/rsvp` may be, by `type`. */
const RSVP_TYPES = {
  Join: vocab.Join,
  Leave: vocab.Leave,
  Accept: vocab.Accept,
  TentativeAccept: vocab.TentativeAccept,
  Reject: vocab.Reject,
};

async function runCommand(method, url, body) {
  const path = url.pathname;
  const ctx = federation.createContext(origin, undefined);
  const me = { identifier: USERNAME };
  let input = {};
  try {
    if (body.length > 0) input = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new ControlError(400, `the body is not JSON: ${error}`);
  }
  if (method === "GET" && path === "/control/received") {
    return { status: 200, json: { received, unverified, sent } };
  }
  if (method === "GET" && path === "/control/object") {
    const id = url.searchParams.get("id");
    if (!id) throw new ControlError(400, "`id` (the object's URL) is required");
    let object = null;
    try {
      object = await ctx.lookupObject(id);
    } catch (error) {
      throw new ControlError(404, `Fedify cannot fetch or read ${id}: ${error}`);
    }
    if (object == null) throw new ControlError(404, `Fedify cannot fetch or read ${id}`);
    return { status: 200, json: await describe(object) };
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
  if (method === "POST" && path === "/control/rsvp") {
    const Rsvp = Object.hasOwn(RSVP_TYPES, input.type) ? RSVP_TYPES[input.type] : null;
    if (Rsvp == null) {
      throw new ControlError(400, `type must be one of ${Object.keys(RSVP_TYPES).join(", ")}`);
    }
    const event = await lookupTyped(ctx, input.event, vocab.Event, "an Event");
    const authorId = input.to != null ? parseUrl(input.to, "to") : event.attributionId;
    if (authorId == null) throw new ControlError(422, `${input.event} has no attributedTo`);
    const recipients = [await lookupActor(ctx, authorId)];
    // Hearth takes RSVPs at the community's inbox too, as Mobilizon's groups do.
    if (event.audienceId != null && event.audienceId.href !== recipients[0].id.href) {
      recipients.push(await lookupActor(ctx, event.audienceId));
    }
    // Both styles name the event itself as the object (Friendica's Accept is not of a Follow),
    // by id, as Mobilizon and Friendica send it.
    const rsvp = new Rsvp({
      id: activityId(),
      actor: ctx.getActorUri(USERNAME),
      object: event.id,
      tos: recipients.map((actor) => actor.id),
      cc: vocab.PUBLIC_COLLECTION,
    });
    await ctx.sendActivity(me, recipients, rsvp);
    sent.push(await describe(rsvp));
    return { status: 200, json: { id: rsvp.id.href } };
  }
  if (method === "POST" && path === "/control/vote") {
    const choices = input.choices;
    if (!Array.isArray(choices) || choices.length === 0 || !choices.every(isText)) {
      throw new ControlError(400, "choices must be a non-empty array of option names");
    }
    const question = await lookupTyped(ctx, input.question, vocab.Question, "a Question");
    if (question.attributionId == null) {
      throw new ControlError(422, `${input.question} has no attributedTo`);
    }
    const author = await lookupActor(ctx, question.attributionId);
    const ids = [];
    const activities = [];
    // Mastodon's votes: one Create{Note} per chosen option, the option's name and no content,
    // addressed only to the poll's author (so no one else sees who voted for what).
    for (const choice of choices) {
      const noteKey = randomUUID();
      const vote = new vocab.Note({
        id: ctx.getObjectUri(vocab.Note, { id: noteKey }),
        attribution: ctx.getActorUri(USERNAME),
        to: author.id,
        name: choice,
        replyTarget: question.id,
      });
      notes.set(noteKey, vote);
      const create = new vocab.Create({
        id: activityId(),
        actor: ctx.getActorUri(USERNAME),
        object: vote,
        to: author.id,
      });
      await ctx.sendActivity(me, author, create);
      sent.push(await describe(create));
      ids.push(vote.id.href);
      activities.push(create.id.href);
    }
    return { status: 200, json: { ids, activities } };
  }
  return { status: 404, json: { error: `no control command ${method} ${path}` } };
}

/** Fetches a community's actor with Fedify, so its Group JSON is read by Fedify too. */
async function lookupGroup(ctx, id) {
  return await lookupTyped(ctx, id, vocab.Group, "a Group");
}

/** Fetches an actor (Person, Group, …) to send to, read by Fedify. */
async function lookupActor(ctx, id) {
  const actor = await lookup(ctx, id);
  if (!vocab.isActor(actor)) {
    throw new ControlError(422, `${id} is not an actor to Fedify: ${typeName(actor)}`);
  }
  return actor;
}

/** Fetches `id` with Fedify and insists it parsed as `type` (`what` names it in the error). */
async function lookupTyped(ctx, id, type, what) {
  const object = await lookup(ctx, id);
  if (!(object instanceof type)) {
    throw new ControlError(422, `${id} is not ${what} to Fedify: ${typeName(object)}`);
  }
  return object;
}

/** `ctx.lookupObject`, with what it cannot fetch or read as a 422 rather than a crash. */
async function lookup(ctx, id) {
  const url = parseUrl(id, "the id");
  let object = null;
  try {
    object = await ctx.lookupObject(url);
  } catch (error) {
    throw new ControlError(422, `Fedify cannot fetch or read ${url.href}: ${error}`);
  }
  if (object == null) throw new ControlError(422, `Fedify cannot fetch or read ${url.href}`);
  return object;
}

function parseUrl(value, what) {
  try {
    return new URL(value);
  } catch {
    throw new ControlError(400, `${what} must be a URL: ${JSON.stringify(value)}`);
  }
}

function isText(value) {
  return typeof value === "string" && value.length > 0;
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
