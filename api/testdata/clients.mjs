// The official clients against "carrel serve": the openai package
// (chat completions whole and streamed, embeddings) and the MCP
// TypeScript SDK (tools over streamable HTTP and over stdio). Prints one
// JSON line of what each saw; the Go test checks it.
import OpenAI from "openai";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const base = process.env.CARREL_URL;
const token = process.env.CARREL_TOKEN;
const out = {};

const openai = new OpenAI({ baseURL: base + "/v1", apiKey: token, maxRetries: 0 });
const models = await openai.models.list();
out.models = models.data.map((m) => m.id);
const whole = await openai.chat.completions.create({
  model: "carrel/My Library",
  messages: [{ role: "user", content: "How tall is the Eiffel Tower?" }],
});
out.whole = { content: whole.choices[0].message.content, finish: whole.choices[0].finish_reason, sources: (whole.carrel?.sources ?? []).map((s) => s.path) };
const stream = await openai.chat.completions.create({
  model: "chat",
  messages: [{ role: "user", content: "Hello" }],
  max_tokens: 8,
  stream: true,
});
let chunks = 0, text = "", finish = null;
for await (const c of stream) {
  chunks++;
  text += c.choices[0]?.delta?.content ?? "";
  finish = c.choices[0]?.finish_reason ?? finish;
}
out.stream = { chunks, text, finish };
const emb = await openai.embeddings.create({ model: "embed", input: ["a heron by the weir"] });
out.embedding = emb.data[0].embedding.length;
try {
  await new OpenAI({ baseURL: base + "/v1", apiKey: "wrong", maxRetries: 0 }).models.list();
  out.wrongToken = "accepted";
} catch (e) {
  out.wrongToken = e.status;
}

async function tools(transport) {
  const client = new Client({ name: "carrel-test", version: "1.0.0" });
  await client.connect(transport);
  const list = await client.listTools();
  const res = await client.callTool({ name: "search_library", arguments: { query: "grey heron weir", k: 3 } });
  await client.close();
  return { tools: list.tools.map((t) => t.name), first: res.structuredContent?.passages?.[0]?.path ?? null, isError: res.isError ?? false };
}
out.mcpHTTP = await tools(new StreamableHTTPClientTransport(new URL(base + "/mcp"), {
  requestInit: { headers: { Authorization: "Bearer " + token } },
}));
out.mcpStdio = await tools(new StdioClientTransport({
  command: process.env.CARREL_STDIO_COMMAND,
  env: { ...process.env, CARREL_TEST_MCP_STDIO: process.env.CARREL_DATA },
}));
console.log(JSON.stringify(out));
