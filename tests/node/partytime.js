#!/usr/bin/env node
// Parse a podcast feed with podcast-partytime (the Podcast Index parser) and print JSON.
//
//   node partytime.js FEED_URL_OR_PATH
//
// The result is ONE stdout line starting with RESULT_MARKER, followed by JSON:
//   {"ok": true, "channel": {...}, "items": [...], "pc20support": {...}}
//   {"ok": false, "error": "..."}   (exit code 2: not parsed / fetch failed)
// partytime's own logger (pino) also writes JSON lines to stdout, e.g.
// {"level":40,...,"msg":"Item has no guid, skipping it."}; the caller keeps them as logs.
// Used by tests/support/clients.py::partytime(). Only loopback URLs belong in tests.
"use strict";
const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

const RESULT_MARKER = "AUDIOFEED-PARTYTIME-RESULT ";

async function readSource(src) {
  if (/^https?:\/\//i.test(src)) {
    const res = await fetch(src);
    if (!res.ok) throw new Error(`HTTP ${res.status} fetching ${src}`);
    return await res.text();
  }
  return fs.readFileSync(src.replace(/^file:\/\//, ""), "utf8");
}

function describe(e) {
  if (!e) return String(e);
  const msg = e.message ? e.message : String(e);
  return e.cause && e.cause.message ? `${msg}: ${e.cause.message}` : msg;
}

function out(obj, code) {
  process.stdout.write(RESULT_MARKER + JSON.stringify(obj) + "\n", () => process.exit(code));
}

(async () => {
  const src = process.argv[2];
  if (!src) return out({ ok: false, error: "usage: partytime.js FEED_URL_OR_PATH" }, 64);
  let xml;
  try {
    xml = await readSource(src);
  } catch (e) {
    return out({ ok: false, error: describe(e) }, 2);
  }
  let feed;
  try {
    feed = parseFeed(xml, { allowMissingGuid: false });
  } catch (e) {
    return out({ ok: false, error: "parseFeed threw: " + describe(e) }, 2);
  }
  if (!feed) return out({ ok: false, error: "NOT PARSED (invalid XML or no <channel>)" }, 2);
  const { items, pc20support, ...channel } = feed;
  out({ ok: true, channel, items: items || [], pc20support: pc20support || {} }, 0);
})();
