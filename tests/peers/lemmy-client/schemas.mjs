// Strict JSON Schemas for the answers of lemmy-js-client's `LemmyHttp` methods, generated from
// the package's own TypeScript declarations, so Hearth's /api/v3 is judged by the types Lemmy
// apps are compiled against rather than by our reading of them.
//
// `http.d.ts` says which type each method returns (`getPosts(form?): Promise<GetPostsResponse>`);
// ts-json-schema-generator turns those types into JSON Schemas. The schemas are strict: every
// required field present, every type right, no property the type does not declare, and an
// optional field (`url?: string`) either absent or of its type, never `null` (Lemmy omits empty
// optional fields, and apps test `post.url !== undefined`). Id types (`PostId = number`) must be
// integers. Generating takes a few seconds, so the result is kept in node_modules/.cache, keyed
// by the versions of the client and the generator.

import Ajv from "ajv";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const clientDir = join(here, "node_modules", "lemmy-js-client");
const clientVersion = require("lemmy-js-client/package.json").version;
const generatorVersion = require("ts-json-schema-generator/package.json").version;
// This file's own text is part of the key too: a change to how schemas are made remakes them.
const recipe = createHash("sha256")
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest("hex")
  .slice(0, 12);
const cacheFile = join(
  here,
  "node_modules",
  ".cache",
  `hearth-lemmy-schemas-${clientVersion}-${generatorVersion}-${recipe}.json`,
);

/// `{method: "GetPostsResponse" | "LoginToken[]" | "string" | …}` from `dist/http.d.ts`.
function returnTypes() {
  const declarations = readFileSync(join(clientDir, "dist", "http.d.ts"), "utf8");
  const methods = {};
  for (const match of declarations.matchAll(/^ {4}(\w+)\(.*\): Promise<([\w[\]]+)>;$/gm)) {
    methods[match[1]] = match[2];
  }
  if (Object.keys(methods).length < 50) {
    throw new Error(`found only ${Object.keys(methods).length} methods in http.d.ts`);
  }
  return methods;
}

/// What Lemmy's TypeScript says only in names: id types (`PostId = number`) are integers,
/// times (`published: string`) are RFC 3339 as Lemmy writes them (apps hand them to `Date`), and
/// ActivityPub ids (`ap_id`, `actor_id`) are URLs.
function tighten(definitions) {
  const timestamp = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$";
  for (const [name, schema] of Object.entries(definitions)) {
    if (/Id$/.test(name) && schema.type === "number") {
      schema.type = "integer";
    }
    for (const [field, property] of Object.entries(schema.properties ?? {})) {
      if (property.type !== "string") continue;
      if (
        [
          "published",
          "updated",
          "expires",
          "when_",
          "last_refreshed_at",
          "newest_comment_time",
        ].includes(field)
      ) {
        property.pattern = timestamp;
      } else if (["ap_id", "actor_id"].includes(field)) {
        property.pattern = "^https?://";
      }
    }
  }
}

async function generate() {
  const { createGenerator } = await import("ts-json-schema-generator");
  const methods = returnTypes();
  const generator = createGenerator({
    path: join(clientDir, "dist", "types", "*.d.ts"),
    expose: "export",
    topRef: true,
    jsDoc: "none",
    additionalProperties: false,
    skipTypeCheck: true,
  });
  const definitions = {};
  const named = new Set(
    Object.values(methods)
      .map((type) => type.replace(/\[\]$/, ""))
      .filter((type) => !["string", "boolean", "number", "any"].includes(type)),
  );
  // The enums a journey iterates over ("every sort Lemmy has"), reachable from no answer.
  for (const type of ["SortType", "CommentSortType", "ListingType", "SearchType"]) {
    named.add(type);
  }
  const missing = [];
  for (const type of [...named].sort()) {
    try {
      Object.assign(definitions, generator.createSchema(type).definitions);
    } catch {
      // Types outside dist/types (UploadImageResponse, made by the client, not the server).
      missing.push(type);
    }
  }
  tighten(definitions);
  return { clientVersion, generatorVersion, methods, definitions, missing };
}

/// The generated schemas, from the cache when it is there.
async function schemas() {
  if (existsSync(cacheFile)) {
    return JSON.parse(readFileSync(cacheFile, "utf8"));
  }
  const generated = await generate();
  mkdirSync(dirname(cacheFile), { recursive: true });
  // Written aside and renamed, so a journey running in parallel never reads half a file.
  const partial = `${cacheFile}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(generated));
  renameSync(partial, cacheFile);
  return generated;
}

/// The JSON Schema of a declared return type (`Foo`, `Foo[]`, `string`…).
function schemaOf(type, definitions) {
  const array = type.endsWith("[]");
  const base = array ? type.slice(0, -2) : type;
  let item;
  if (["string", "boolean", "number"].includes(base)) {
    item = { type: base };
  } else if (definitions[base]) {
    item = { $ref: `lemmy#/definitions/${base}` };
  } else {
    return null;
  }
  return array ? { type: "array", items: item } : item;
}

/// The value at a JSON pointer (`/post_view/post/url`), for error messages.
function at(value, pointer) {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), value);
}

/// Ajv's errors, one line each, with the offending value and a hint for `null`.
function describe(errors, value) {
  return errors
    .map((error) => {
      const path = error.instancePath || "(the answer)";
      let line = `${path} ${error.message}`;
      if (error.keyword === "additionalProperties") {
        line = `${path} has a property the type does not declare: "${error.params.additionalProperty}"`;
      } else if (error.keyword === "enum") {
        line += `: ${JSON.stringify(error.params.allowedValues)}`;
      }
      const found = at(value, error.instancePath);
      if (found === null) {
        line += " (it is null: an optional field must be left out, not null)";
      } else if (error.keyword !== "additionalProperties" && error.keyword !== "required") {
        line += ` (found ${JSON.stringify(found)?.slice(0, 200)})`;
      }
      return line;
    })
    .join("\n");
}

/// A validator for `LemmyHttp` answers: `check(method, value)` is null when the value is what
/// the method's declared return type allows, or a description of every difference.
export async function loadValidator() {
  const { methods, definitions } = await schemas();
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema({ $id: "lemmy", definitions });
  const compiled = new Map();
  return {
    /// The values of a string-union type of the client's (`SortType`…).
    enumOf(type) {
      const values = definitions[type]?.enum;
      if (!values) {
        throw new Error(`${type} is not an enum of lemmy-js-client's`);
      }
      return values;
    },
    /// The type `method` declares it returns.
    returnType(method) {
      return methods[method];
    },
    check(method, value) {
      const type = methods[method];
      if (!type) {
        return `LemmyHttp has no method ${method}`;
      }
      if (!compiled.has(method)) {
        const schema = schemaOf(type, definitions);
        if (!schema) {
          return `no schema for ${type}, the return type of ${method}`;
        }
        compiled.set(method, ajv.compile(schema));
      }
      const validate = compiled.get(method);
      return validate(value) ? null : describe(validate.errors, value);
    },
  };
}

// `node schemas.mjs`: generates (or reads) the schemas and prints what they cover.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const { methods, definitions, missing } = await schemas();
  console.log(
    `${Object.keys(methods).length} methods, ${Object.keys(definitions).length} types ` +
      `in ${Date.now() - started} ms (${cacheFile}); no schema for: ${missing.join(", ") || "none"}`,
  );
}
