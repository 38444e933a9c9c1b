// The reference automerge-repo client (npm), for the interop test only: Mamori itself is Rust.
// usage: node client.mjs <ws url> create            -> prints the new document's id, then waits for "reply"
//        node client.mjs <ws url> find <documentId> -> prints the document's "facility" field
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [url, mode, id] = process.argv.slice(2);
const repo = new Repo({ network: [new WebSocketClientAdapter(url)] });
const fail = (why) => { console.error(why); process.exit(1); };
setTimeout(() => fail("timed out"), Number(process.env.INTEROP_TIMEOUT_MS || 20000));

if (mode === "create") {
  const handle = repo.create({ from: "javascript" });
  console.log(handle.documentId);
  // Wait until the Rust side writes "reply" into the same document.
  handle.on("change", ({ doc }) => {
    if (doc.reply) { console.log("reply:" + doc.reply); process.exit(0); }
  });
} else if (mode === "find") {
  const handle = await repo.find(id);
  const doc = handle.doc();
  console.log("facility:" + doc.facility);
  process.exit(0);
} else {
  fail("unknown mode " + mode);
}
