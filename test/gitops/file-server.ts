import { type ChildProcess, spawn } from "node:child_process";

/**
 * A static HTTP server on 127.0.0.1 in a child process, so that a synchronous tool run from
 * the test (the real Ignition) can download from it. Serves `files` by URL path.
 */
export interface FileServer {
  readonly url: string;
  close(): void;
}

const SERVER = `
const http = require("node:http");
const files = JSON.parse(process.argv[1]);
const server = http.createServer((request, response) => {
  const body = files[request.url];
  if (body === undefined) { response.writeHead(404); response.end(); return; }
  response.writeHead(200, { "content-type": "application/yaml" });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

export async function startFileServer(files: Record<string, string>): Promise<FileServer> {
  const child: ChildProcess = spawn(process.execPath, ["-e", SERVER, JSON.stringify(files)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill() };
}
