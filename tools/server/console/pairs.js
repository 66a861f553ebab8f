// "name=value" pairs as people type them ("size=M, colour=black", or one a line) and back: the
// console's one way to edit a map of strings (attributes, a variant's options, the search's
// attribute filters). A part without "=", with an empty name or value, or a name given twice
// is an error naming the part, shown to the user rather than silently dropped.

// separator: "," or "\n". Returns {name: value}; throws Error on a bad part.
export function parsePairs(text, separator, what) {
  const out = {};
  for (const part of text.split(separator).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const value = eq > 0 ? part.slice(eq + 1).trim() : "";
    if (!name || !value) throw new Error(`${what} "${part}": write name=value, e.g. size=M`);
    if (name in out) throw new Error(`${what} "${part}": ${name} is given twice`);
    out[name] = value;
  }
  return out;
}

export function pairsText(map, separator) {
  return Object.entries(map || {}).map(([k, v]) => `${k}=${v}`).join(separator === "," ? ", " : separator);
}
