import { startChildServer } from "../support/child-server.js";

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
  const { port, close } = await startChildServer(SERVER, [JSON.stringify(files)]);
  return { url: `http://127.0.0.1:${port}`, close };
}
