// node partytime_dump.js FEED_URL -> one JSON line: {ok, channel, items, pc20support}
// (needs podcast-partytime on NODE_PATH or in tests/node/node_modules)
"use strict";
const { parseFeed } = require("podcast-partytime");
(async () => {
  const res = await fetch(process.argv[2]);
  const feed = parseFeed(await res.text(), { allowMissingGuid: false });
  if (!feed) { console.log(JSON.stringify({ ok: false })); process.exit(2); }
  const { items, pc20support, ...channel } = feed;
  console.log("RESULT " + JSON.stringify({ ok: true, channel, items, pc20support }));
})();
