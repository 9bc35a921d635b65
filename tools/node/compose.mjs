#!/usr/bin/env node
// Composes Federation v2 subgraph SDLs with the reference composer (@theguild/federation-composition)
// and prints the result as one JSON object, so that the Python tests can compare it with ours.
//
// Input, either:
//   node compose.mjs < subgraphs.json          {"subgraphs": [{"name": "...", "url": "...", "sdl": "..."}]}
//   node compose.mjs name=path.graphql[@url] ... (url defaults to http://<name>.invalid/graphql)
// Output (stdout):
//   {"supergraphSdl": "...", "publicSdl": "..."}               exit code 0
//   {"errors": [{"code": "...", "message": "..."}]}            exit code 1 (composition failed)
//   {"errors": [{"code": "INPUT", "message": "..."}]}          exit code 2 (bad input to this script)
import { readFileSync } from "node:fs";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";
import { GraphQLError, parse } from "graphql";

function readInput(argv) {
  if (argv.length === 0) {
    const payload = JSON.parse(readFileSync(0, "utf8"));
    if (!payload || !Array.isArray(payload.subgraphs)) {
      throw new Error('stdin must be JSON {"subgraphs": [{"name", "url", "sdl"}]}');
    }
    return payload.subgraphs;
  }
  return argv.map((spec) => {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new Error(`expected name=path[@url], got ${spec}`);
    const name = spec.slice(0, eq);
    const [path, url] = spec.slice(eq + 1).split("@", 2);
    return { name, url: url || `http://${name}.invalid/graphql`, sdl: readFileSync(path, "utf8") };
  });
}

function errorCode(error) {
  return (error.extensions && error.extensions.code) || "UNKNOWN";
}

function main() {
  let subgraphs;
  try {
    subgraphs = readInput(process.argv.slice(2)).map((s) => ({
      name: s.name,
      url: s.url,
      typeDefs: parse(s.sdl),
    }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ errors: [{ code: "INPUT", message: String(error.message ?? error) }] }));
    process.exitCode = 2;
    return;
  }
  const result = composeServices(subgraphs);
  if (compositionHasErrors(result)) {
    const errors = result.errors.map((error) => ({
      code: errorCode(error),
      message: error instanceof GraphQLError ? error.message : String(error),
    }));
    process.stdout.write(JSON.stringify({ errors }));
    process.exitCode = 1;
    return;
  }
  process.stdout.write(JSON.stringify({ supergraphSdl: result.supergraphSdl, publicSdl: result.publicSdl }));
}

main();
