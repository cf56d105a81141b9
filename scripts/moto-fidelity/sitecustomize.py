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
# - A single-part CopyObject gives the copy a full-object checksum of its own (ChecksumType
#   FULL_OBJECT), of the source's algorithm, computed over the copied bytes, as S3 does. moto keeps the
#   source's value, so the copy of an object uploaded in parts (the AWS CLI does this above 8 MB, with
#   CRC32) carries the composite checksum of parts it does not have, without its `-N` suffix: the SDK
#   takes it for a full-object checksum and fails GetObject with "Checksum mismatch" though the bytes
#   are intact. An algorithm this process cannot compute (CRC32C without `crc32c`, CRC64NVME without
#   `awscrt`) leaves a full-object value as it was (the bytes are the same) and drops a composite one.
# - HeadObject with x-amz-checksum-mode ENABLED reports the checksum as GetObject does: with its type
#   (x-amz-checksum-type) and, for a composite checksum, the `-N` part count. moto reports the bare
#   value, so a composite checksum could not be told from a full-object one.
# - An object completed from a multipart upload that named no ACL has the default private ACL, as
#   every S3 object does. moto stores no ACL at all on it, and GetObjectAcl then answers 500 (the AWS
#   CLI uploads in parts above 8 MB, so its larger uploads could not be copied with their ACL).
# - GetBucketNotificationConfiguration reports `EventBridgeConfiguration` when EventBridge
#   notifications are on, as S3 does. moto stores the setting and delivers the events, but leaves it
#   out of its answer, so the audit would see a bucket on the recommended event path as unwatched.
#
# Each fix is applied only if moto still has the shape it patches; otherwise it says so on stderr
# and moto runs unpatched (the tests that need the fix then fail, visibly).
# Being first on PYTHONPATH, this file hides any other sitecustomize for the moto process only.
import base64
import binascii
import hashlib
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


def _full_object_checksum(data: bytes, algorithm: str) -> "str | None":
    """The base64 checksum S3 reports for these bytes, or None where this process cannot compute it.

    moto's own helper answers a CRC32 for CRC32C and CRC64NVME when their libraries are missing: a
    wrong value under the right name is worse than none.
    """
    if algorithm == "CRC32":
        digest = binascii.crc32(data).to_bytes(4, "big")
    elif algorithm == "SHA1":
        digest = hashlib.sha1(data, usedforsecurity=False).digest()
    elif algorithm == "SHA256":
        digest = hashlib.sha256(data).digest()
    elif algorithm == "CRC32C":
        try:
            import crc32c  # type: ignore[import-not-found]
        except ImportError:
            return None
        digest = crc32c.crc32c(data).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        try:
            from awscrt import checksums  # type: ignore[import-not-found]
        except ImportError:
            return None
        digest = checksums.crc64nvme(data).to_bytes(8, "big")
    else:
        return None
    return base64.b64encode(digest).decode()


# Request headers of CreateMultipartUpload that moto keeps among the completed object's metadata and
# serves after the checksum headers: on a copy they would contradict the copy's own checksum.
_UPLOAD_CHECKSUM_HEADERS = ("x-amz-checksum-algorithm", "x-amz-checksum-type")


def _give_copy_its_own_checksum(source, copy) -> None:  # type: ignore[no-untyped-def]
    for name in [name for name in copy.metadata if str(name).lower() in _UPLOAD_CHECKSUM_HEADERS]:
        del copy.metadata[name]
    algorithm = source.checksum_algorithm
    if not algorithm or not source.checksum_value:
        return
    value = _full_object_checksum(copy.value, algorithm)
    if value is None and source.checksum_type == "COMPOSITE":
        copy.checksum_algorithm = None
        copy.checksum_value = None
        copy.checksum_type = None
        copy.checksum_parts = None
        return
    copy.checksum_algorithm = algorithm
    copy.checksum_value = value if value is not None else source.checksum_value
    copy.checksum_type = "FULL_OBJECT"
    copy.checksum_parts = None


def _patch_copy_checksum() -> None:
    try:
        from moto.s3.models import FakeKey, S3Backend
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: copy checksum fix not applied ({error})", file=sys.stderr)
        return
    original_copy = getattr(S3Backend, "copy_object", None)
    original_put_object = getattr(S3Backend, "put_object", None)
    key_parameters = FakeKey.__init__.__code__.co_varnames
    if (
        not callable(original_copy)
        or not callable(original_put_object)
        or not all(name in key_parameters for name in ("checksum_value", "checksum_type", "checksum_parts"))
    ):
        print("moto-fidelity: copy checksum fix not applied (moto's CopyObject or FakeKey checksums changed)", file=sys.stderr)
        return

    copying = threading.local()
    unmatched = []

    def put_object(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        key = original_put_object(self, *args, **kwargs)
        if getattr(copying, "active", False):
            copying.key = key
        return key

    def copy_object(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The key this copy's own put_object made, not whatever the destination holds by the time it
        # is looked up: a concurrent PUT to the same key must keep its checksum.
        copying.active = True
        copying.key = None
        try:
            result = original_copy(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs)
            copied = copying.key
        finally:
            copying.active = False
            copying.key = None
        if copied is not None:
            _give_copy_its_own_checksum(src_key, copied)
        elif not unmatched:
            unmatched.append(True)
            print("moto-fidelity: copy checksum fix not applied (CopyObject no longer stores through put_object)", file=sys.stderr)
        return result

    S3Backend.put_object = put_object
    S3Backend.copy_object = copy_object


def _patch_head_checksum_type() -> None:
    try:
        from moto.s3.responses import S3Response
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: HeadObject checksum type fix not applied ({error})", file=sys.stderr)
        return
    original = getattr(S3Response, "head_object", None)
    if not callable(original):
        print("moto-fidelity: HeadObject checksum type fix not applied (S3Response.head_object changed)", file=sys.stderr)
        return

    def head_object(self, bucket_name, query, key_name, headers):  # type: ignore[no-untyped-def]
        status, response_headers, body = original(self, bucket_name, query, key_name, headers)
        if status != 200 or headers.get("x-amz-checksum-mode") != "ENABLED" or query.get("partNumber"):
            return status, response_headers, body
        try:
            key = self.backend.head_object(bucket_name, key_name, version_id=(query.get("versionId") or [None])[0])
        except Exception:  # noqa: BLE001 - gone since it answered: its answer stands as moto gave it
            return status, response_headers, body
        algorithm = getattr(key, "checksum_algorithm", None)
        header = f"x-amz-checksum-{algorithm.lower()}" if algorithm else None
        # Only the key that answered: a write in between leaves the answer as moto gave it.
        if not header or response_headers.get(header) != key.checksum_value or not key.checksum_type:
            return status, response_headers, body
        if key.checksum_type == "COMPOSITE" and key.checksum_parts:
            response_headers[header] = f"{key.checksum_value}-{key.checksum_parts}"
        response_headers["x-amz-checksum-type"] = key.checksum_type
        return status, response_headers, body

    S3Response.head_object = head_object


def _patch_multipart_default_acl() -> None:
    try:
        from moto.s3.models import S3Backend, get_canned_acl
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: multipart default ACL fix not applied ({error})", file=sys.stderr)
        return
    original = getattr(S3Backend, "put_object_acl", None)
    if not callable(original):
        print("moto-fidelity: multipart default ACL fix not applied (S3Backend.put_object_acl changed)", file=sys.stderr)
        return

    def put_object_acl(self, bucket_name, key_name, acl, *args, **kwargs):  # type: ignore[no-untyped-def]
        return original(self, bucket_name, key_name, acl if acl is not None else get_canned_acl("private"), *args, **kwargs)

    S3Backend.put_object_acl = put_object_acl


def _patch_eventbridge_notification_reported() -> None:
    try:
        from moto.s3.responses import S3Response
    except Exception as error:  # noqa: BLE001
        print(f"moto-fidelity: EventBridge notification setting fix not applied ({error})", file=sys.stderr)
        return
    original = getattr(S3Response, "get_bucket_notification", None)
    if not callable(original):
        print("moto-fidelity: EventBridge notification setting fix not applied (S3Response.get_bucket_notification changed)", file=sys.stderr)
        return

    def get_bucket_notification(self):  # type: ignore[no-untyped-def]
        answer = original(self)
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if getattr(configuration, "event_bridge", None) is None or not isinstance(answer, tuple) or len(answer) != 3:
            return answer
        status, headers, body = answer
        text = body.decode() if isinstance(body, bytes) else str(body)
        if "EventBridgeConfiguration" in text:
            return answer
        element = "<EventBridgeConfiguration></EventBridgeConfiguration>"
        if "</NotificationConfiguration>" in text:
            text = text.replace("</NotificationConfiguration>", f"{element}</NotificationConfiguration>", 1)
        elif re.search(r"<NotificationConfiguration[^>]*/>", text):
            text = re.sub(r"<NotificationConfiguration([^>]*)/>", rf"<NotificationConfiguration\1>{element}</NotificationConfiguration>", text, count=1)
        else:
            return answer
        return status, headers, text.encode() if isinstance(body, bytes) else text

    S3Response.get_bucket_notification = get_bucket_notification


_patch_dsse_key_id()
_patch_multipart_carries_headers()
_patch_one_grant_per_grantee()
_patch_copy_checksum()
_patch_head_checksum_type()
_patch_multipart_default_acl()
_patch_eventbridge_notification_reported()
