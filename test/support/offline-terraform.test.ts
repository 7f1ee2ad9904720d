/**
 * The CLI configuration every terraform in the tests runs with keeps `init` off the network: a
 * registry provider is looked for in the (empty) filesystem mirror only, and init fails at once
 * naming that mirror. (CI also runs the whole suite with only loopback up: .ci/run.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { terraform } from "../tofu/terraform-runner.js";
import { offlineTerraformConfig, offlineTerraformEnv } from "./offline-terraform.js";
import { describeWithTools } from "./real-tools.js";

describeWithTools(["terraform"], "the tests' offline terraform CLI configuration (real terraform)", () => {
  it("is what the helpers pass", () => {
    expect(offlineTerraformEnv()).toEqual({
      TF_CLI_CONFIG_FILE: offlineTerraformConfig().file,
      CHECKPOINT_DISABLE: "1",
    });
  });

  it("makes init look for a registry provider in the mirror only, and fail at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-offline-init-"));
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        terraform: { required_providers: { null: { source: "hashicorp/null", version: "3.2.3" } } },
      }),
    );
    const failure = await terraform(dir, ["init", "-input=false", "-no-color", "-backend=false"]).then(
      () => "init succeeded",
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/hashicorp\/null/);
    expect(failure).toContain(offlineTerraformConfig().mirror);
  });
});
