#!/usr/bin/env node
// Composes Federation v2 subgraph SDLs with the reference composer (@theguild/federation-composition)
// and prints the result as JSON, so that the Python tests (and people) can compare it with ours.
//
// Input, one of:
//   node compose.mjs < subgraphs.json            {"subgraphs": [{"name": "...", "url": "...", "sdl": "..."}]}
//   node compose.mjs name=path.graphql[@url] ...   (url defaults to http://<name>.invalid/graphql)
//   node compose.mjs --public < supergraph.json  {"supergraphSdl": "..."}: the reference's API schema of
//                                                an existing supergraph (shows it can read ours)
//   node compose.mjs --batch < batch.json        {"compose": {key: {"subgraphs": [...]}}, "public": {key: sdl}}
//                                                one process for many cases (the tests use this)
// Output (stdout), per case:
//   {"supergraphSdl": "...", "publicSdl": "..."}    composed            (exit code 0)
//   {"publicSdl": "..."}                            --public            (exit code 0)
//   {"errors": [{"code": "...", "message": "..."}]} failed              (exit code 1)
//   {"errors": [{"code": "INPUT", ...}]}            bad input to this script (exit code 2)
// --batch prints {"compose": {key: result}, "public": {key: result}} and exits 0.
import { readFileSync } from "node:fs";
import {
  composeServices,
  compositionHasErrors,
  transformSupergraphToPublicSchema,
} from "@theguild/federation-composition";
import { GraphQLError, buildASTSchema, parse, print } from "graphql";

function readStdinJson() {
  return JSON.parse(readFileSync(0, "utf8"));
}

function subgraphsFromArgs(argv) {
  return argv.map((spec) => {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new Error(`expected name=path[@url], got ${spec}`);
    const name = spec.slice(0, eq);
    const [path, url] = spec.slice(eq + 1).split("@", 2);
    return { name, url: url || `http://${name}.invalid/graphql`, sdl: readFileSync(path, "utf8") };
  });
}

function composeCase(inputs) {
  const syntaxErrors = [];
  const subgraphs = [];
  for (const s of inputs) {
    try {
      subgraphs.push({ name: s.name, url: s.url, typeDefs: parse(s.sdl) });
    } catch (error) {
      syntaxErrors.push({ code: "INVALID_GRAPHQL", message: `[${s.name}] ${error.message ?? error}` });
    }
  }
  if (syntaxErrors.length > 0) return { errors: syntaxErrors };
  let result;
  try {
    result = composeServices(subgraphs);
  } catch (error) {
    // The reference throws on some invalid inputs instead of reporting them.
    return { errors: [{ code: "REFERENCE_CRASH", message: String(error.message ?? error) }] };
  }
  if (compositionHasErrors(result)) {
    return {
      errors: result.errors.map((error) => ({
        code: (error.extensions && error.extensions.code) || "UNKNOWN",
        message: error instanceof GraphQLError ? error.message : String(error),
      })),
    };
  }
  return { supergraphSdl: result.supergraphSdl, publicSdl: result.publicSdl };
}

function publicCase(supergraphSdl) {
  try {
    const supergraph = parse(supergraphSdl);
    buildASTSchema(supergraph); // the supergraph itself must be a valid schema
    const publicSdl = print(transformSupergraphToPublicSchema(supergraph));
    buildASTSchema(parse(publicSdl));
    return { publicSdl };
  } catch (error) {
    return { errors: [{ code: "INVALID_SUPERGRAPH", message: String(error.message ?? error) }] };
  }
}

function write(result, exitOnErrors = true) {
  process.stdout.write(JSON.stringify(result));
  if (exitOnErrors && result.errors) process.exitCode = 1;
}

function main() {
  const argv = process.argv.slice(2);
  let input;
  try {
    if (argv[0] === "--batch") {
      const batch = readStdinJson();
      const out = { compose: {}, public: {} };
      for (const [key, value] of Object.entries(batch.compose ?? {})) out.compose[key] = composeCase(value.subgraphs);
      for (const [key, sdl] of Object.entries(batch.public ?? {})) out.public[key] = publicCase(sdl);
      write(out, false);
      return;
    }
    if (argv[0] === "--public") {
      write(publicCase(readStdinJson().supergraphSdl));
      return;
    }
    input = argv.length === 0 ? readStdinJson().subgraphs : subgraphsFromArgs(argv);
    if (!Array.isArray(input)) throw new Error('stdin must be JSON {"subgraphs": [{"name", "url", "sdl"}]}');
  } catch (error) {
    write({ errors: [{ code: "INPUT", message: String(error.message ?? error) }] });
    process.exitCode = 2;
    return;
  }
  write(composeCase(input));
}

main();
