// The README's `node.json` table, generated from NodeConfigSchema: one row per
// field, depth first, with the schema's default and description. `npm run
// docs:config` writes it between the markers; a test fails when they differ.
import type { TSchema } from "@sinclair/typebox";
import { annotations, NodeConfigSchema } from "./configSchema.js";

export const CONFIG_TABLE_START = "<!-- config-table:start (npm run docs:config) -->";
export const CONFIG_TABLE_END = "<!-- config-table:end -->";

interface Node {
  type?: string;
  required?: string[];
  properties?: Record<string, TSchema>;
  items?: TSchema;
  anyOf?: TSchema[];
}

function defaultCell(s: TSchema, required: boolean): string {
  const a = annotations(s);
  if (a.defaultText !== undefined) return a.defaultText;
  if (a.default === undefined) return required ? "required" : "—";
  return `\`${JSON.stringify(a.default)}\``;
}

/** Pipes would end a Markdown cell. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

function rows(schema: TSchema, prefix: string, out: string[]): void {
  const props = (schema as Node).properties ?? {};
  const required = (schema as Node).required ?? [];
  for (const [key, s] of Object.entries(props)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    out.push(
      `| \`${path}\` | ${cell(defaultCell(s, required.includes(key)))} | ${cell(annotations(s).description ?? "")} |`,
    );
    if ((s as Node).type === "object" && (s as Node).properties) rows(s, path, out);
    const items = (s as Node).items as Node | undefined;
    if (items?.type === "object" && items.properties) rows(items as TSchema, `${path}[]`, out);
  }
}

/** The Markdown table of every node.json field. */
export function configTableMarkdown(): string {
  const out = ["| field | default | meaning |", "| --- | --- | --- |"];
  rows(NodeConfigSchema, "", out);
  return out.join("\n");
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(CONFIG_TABLE_START);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (start < 0 || end < start) throw new Error("README has no config table markers");
  return `${readme.slice(0, start + CONFIG_TABLE_START.length)}\n${configTableMarkdown()}\n${readme.slice(end)}`;
}
