# Loaded by Python at start-up when this folder is on PYTHONPATH (the integration tier's moto-server.ts
# and `npm start` put it there for the moto server they start, and nowhere else). It makes moto answer
# as S3 does where moto 5.2.1 does not, so what runs locally tests the enforcer, not the emulator's gaps:
#
# - HeadObject / CopyObject / GetObject of a DSSE-KMS object (`aws:kms:dsse`) carry the key in
#   `x-amz-server-side-encryption-aws-kms-key-id`, as they do for `aws:kms`. moto stores the key id
#   but only returns it for `aws:kms`, so without this an object under the required key would look
#   like DSSE-KMS under an unknown key.
# - CreateMultipartUpload keeps what S3 keeps for the completed object: WebsiteRedirectLocation,
#   BucketKeyEnabled and the Object Lock settings (x-amz-object-lock-mode, -retain-until-date,
#   -legal-hold), all request headers of CreateMultipartUpload in S3's API. moto 5.2.1 keeps only
#   the metadata, tags, ACL, storage class and SSE algorithm and key, so a multipart copy would seem
#   to lose them whatever the enforcer sent. CompleteMultipartUpload also answers with the bucket-key
#   header, as S3 does, and sends only its ObjectCreated:CompleteMultipartUpload notification (moto
#   also sends an ObjectCreated:Put for it, which S3 does not).
# - An ACL given as grant headers naming several grantees for one permission (`x-amz-grant-read:
#   uri="…", id="…"`) is reported by GetObjectAcl with one Grant per grantee, as S3 does; moto
#   reports only the first grantee of each header.
#
# Each fix is applied only if moto still has the shape it patches; otherwise it says so on stderr
# and moto runs unpatched (the tests that need the fix then fail, visibly).
# Being first on PYTHONPATH, this file hides any other sitecustomize for the moto process only.
import re
import sys
import threading


def _patch_dsse_key_id() -> None:
    try:
        from moto.s3.models import FakeKey
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: DSSE-KMS key id fix not applied ({error})", file=sys.stderr)
        return
    original = getattr(FakeKey, "response_dict", None)
    if not isinstance(original, property) or original.fget is None:
        print("moto-fidelity: DSSE-KMS key id fix not applied (FakeKey.response_dict changed)", file=sys.stderr)
        return

    def response_dict(self):  # type: ignore[no-untyped-def]
        headers = original.fget(self)
        if getattr(self, "encryption", None) == "aws:kms:dsse" and getattr(self, "kms_key_id", None):
            headers.setdefault("x-amz-server-side-encryption-aws-kms-key-id", self.kms_key_id)
        return headers

    FakeKey.response_dict = property(response_dict)


_MULTIPART_CARRIED = {
    # header -> FakeKey attribute
    "x-amz-website-redirect-location": "website_redirect_location",
    "x-amz-server-side-encryption-bucket-key-enabled": "bucket_key_enabled",
    "x-amz-object-lock-mode": "lock_mode",
    "x-amz-object-lock-retain-until-date": "lock_until",
    "x-amz-object-lock-legal-hold": "lock_legal_status",
}


def _patch_multipart_carries_headers() -> None:
    try:
        from moto.s3.models import S3Backend
        from moto.s3.responses import S3Response
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: multipart header fix not applied ({error})", file=sys.stderr)
        return
    original_post = getattr(S3Response, "_key_response_post", None)
    original_complete = getattr(S3Backend, "complete_multipart_upload", None)
    if not callable(original_post) or not callable(original_complete):
        print("moto-fidelity: multipart header fix not applied (moto's multipart code changed)", file=sys.stderr)
        return

    def _key_response_post(self, request, body, bucket_name, query, key_name):  # type: ignore[no-untyped-def]
        creating = body == b"" and "uploads" in query
        bucket = self.backend.get_bucket(bucket_name) if creating else None
        status, headers, response_body = original_post(self, request, body, bucket_name, query, key_name)
        if bucket is not None:
            carried = {}
            for header, attribute in _MULTIPART_CARRIED.items():
                value = request.headers.get(header)
                if value is not None:
                    carried[attribute] = str(value).lower() if attribute == "bucket_key_enabled" else value
            # The upload this request created, named in its own answer: concurrent creations in one
            # bucket must not take each other's headers.
            text = response_body.decode() if isinstance(response_body, bytes) else str(response_body)
            created = re.search(r"<UploadId>([^<]+)</UploadId>", text)
            if created and created.group(1) in bucket.multiparts:
                bucket.multiparts[created.group(1)].fidelity_carried = carried
        elif query.get("uploadId") and isinstance(headers, dict):
            key = self.backend.get_object(bucket_name, key_name)
            if key is not None and getattr(key, "bucket_key_enabled", None) is not None:
                headers["x-amz-server-side-encryption-bucket-key-enabled"] = str(key.bucket_key_enabled).lower()
        return status, headers, response_body

    completing = threading.local()
    original_put_object = S3Backend.put_object

    def put_object(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(completing, "active", False):
            kwargs["disable_notification"] = True
        return original_put_object(self, *args, **kwargs)

    def complete_multipart_upload(self, bucket_name, multipart_id, body):  # type: ignore[no-untyped-def]
        multipart = self.get_bucket(bucket_name).multiparts.get(multipart_id)
        carried = getattr(multipart, "fidelity_carried", None) or {}
        completing.active = True
        try:
            key = original_complete(self, bucket_name, multipart_id, body)
        finally:
            completing.active = False
        if key is not None:
            for attribute, value in carried.items():
                setattr(key, attribute, value)
        return key

    S3Response._key_response_post = _key_response_post
    S3Backend.put_object = put_object
    S3Backend.complete_multipart_upload = complete_multipart_upload


def _patch_one_grant_per_grantee() -> None:
    try:
        from moto.s3.models import FakeAcl, FakeGrant
        from moto.s3.responses import S3Response
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: grant header fix not applied ({error})", file=sys.stderr)
        return
    original = getattr(S3Response, "_acl_from_headers", None)
    if not callable(original):
        print("moto-fidelity: grant header fix not applied (S3Response._acl_from_headers changed)", file=sys.stderr)
        return

    def _acl_from_headers(self, headers):  # type: ignore[no-untyped-def]
        acl = original(self, headers)
        if acl is None or not all(hasattr(grant, "grantees") and hasattr(grant, "permissions") for grant in acl.grants):
            return acl
        return FakeAcl(
            [FakeGrant([grantee], grant.permissions) for grant in acl.grants for grantee in grant.grantees]
        )

    S3Response._acl_from_headers = _acl_from_headers


_patch_dsse_key_id()
_patch_multipart_carries_headers()
_patch_one_grant_per_grantee()
