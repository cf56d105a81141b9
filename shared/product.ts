/**
 * The product as exported findings name it (Security Hub's ProductFields, OCSF's metadata.product).
 * The version follows package.json; a unit test keeps them equal.
 */
export const PRODUCT = Object.freeze({
  name: 's3-encryption-enforcer',
  vendor: 's3-encryption-enforcer project',
  version: '0.1.0',
});
