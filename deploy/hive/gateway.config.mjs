// Hive Gateway (npm @graphql-hive/gateway, image ghcr.io/graphql-hive/gateway) in front of the
// WealthTech subgraphs, serving schema/supergraph.graphql unchanged (compose.hive.yml).
//
// The supergraph routes each subgraph to its default address on one machine
// (http://127.0.0.1:400N/graphql). Here each subgraph, by its name in the supergraph, is sent to
// WEALTHTECH_<NAME>_URL when set, else to its compose service (http://<name>:<port>/graphql).
//
// The subgraphs accept only requests carrying an internal token signed by a key they trust. A
// standard gateway speaks for one fixed identity: mint its token with
// `wealthtech token --internal --role ... --scope ...` (docs/security.md) and pass it as
// WEALTHTECH_INTERNAL_TOKEN; it is sent as X-Internal-Token on every subgraph request.
const SUBGRAPHS = { users: 4001, investments: 4002, transactions: 4003, compliance: 4004 };
const internalToken = process.env.WEALTHTECH_INTERNAL_TOKEN;

const transportEntries = {};
for (const [name, port] of Object.entries(SUBGRAPHS)) {
  const location = process.env[`WEALTHTECH_${name.toUpperCase()}_URL`] || `http://${name}:${port}/graphql`;
  transportEntries[name] = internalToken
    ? { location, headers: [["X-Internal-Token", internalToken]] }
    : { location };
}

export const gatewayConfig = { transportEntries };
