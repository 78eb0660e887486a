import { describe, expect, it } from "vitest";
import { updateClientInput } from "./schemas";

describe("updateClientInput creditLimit", () => {
  it("takes whole minor units as a string and gives a bigint", () => {
    expect(updateClientInput.parse({ id: "c1", creditLimit: "900719925474099312" }).creditLimit).toBe(
      900719925474099312n,
    );
    expect(updateClientInput.parse({ id: "c1" }).creditLimit).toBeUndefined();
  });

  it("refuses fractions, negatives and numbers", () => {
    for (const creditLimit of ["10.5", "-1", "", 100]) {
      expect(updateClientInput.safeParse({ id: "c1", creditLimit }).success).toBe(false);
    }
  });
});
