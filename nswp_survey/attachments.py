"""Attachment files of synced submissions, saved where the Kobo server cannot steer them.

Files go to `<folder>/<asset uid>/<_id>/<attachment uid>-<name>`. Every part of that path
comes from the server (the asset uid too: `nswp-survey deploy` learnt it there), and a
server is not trusted: each part is reduced to a safe name (`safe_name`: no separator, no
`.`/`..`, no control or invisible character, at most MAX_NAME_BYTES), and the whole path is
checked to lie inside the folder (resolved, then compared) before any folder or `.part`
file is created.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine

from nswp_survey.errors import KoboError, SyncError
from nswp_survey.kobo import KoboClient
from nswp_survey.kobo.models import Attachment
from nswp_survey.private import private_dir
from nswp_survey.progress import ProgressFactory, no_progress
from nswp_survey.store import (
    PendingAttachment,
    load_pending_attachments,
    set_attachment_file,
    transaction,
)

log = logging.getLogger(__name__)

# File systems refuse names over 255 bytes, eCryptfs (encrypted home folders) over 143;
# 128 leaves room for the ".part" suffix of a download in progress.
MAX_NAME_BYTES = 128
HASH_CHARS = 10
MAX_SUFFIX_CHARS = 10  # a longer (or odd) "extension" is part of the name, not a file type
_KEPT = frozenset("._-")
# Names Windows keeps for devices, whatever the extension (a folder may be shared there).
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
)


def safe_name(text: str, *, fallback: str = "file") -> str:
    """`text` as one file or folder name that no file system takes for a path.

    Letters and digits (any script) and `._-` are kept, anything else (separators, NUL,
    spaces, control, format and combining characters such as an RTL override) becomes `_`;
    runs of dots shrink to one and leading dots or dashes go (no `.`, `..`, hidden file or
    option-like name). A name that had to change, or be cut to MAX_NAME_BYTES, ends with a
    short hash of the original, so two different originals never share a name.

    Example:
        >>> safe_name("IMG_1.jpg")
        'IMG_1.jpg'
        >>> safe_name("../../etc/passwd")
        'etc_passwd-3754d6cb3a'
    """
    text = str(text)
    clean = "".join(ch if ch.isalnum() or ch in _KEPT else "_" for ch in _nfc(text))
    while ".." in clean:
        clean = clean.replace("..", ".")
    clean = clean.lstrip("._-").rstrip(".") or fallback
    if clean.split(".")[0].upper() in _WINDOWS_DEVICES:
        clean = f"_{clean}"
    if clean == text and len(clean.encode()) <= MAX_NAME_BYTES:
        return clean
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    stem, dot, suffix = clean.rpartition(".")
    if not dot or not stem or not suffix.isalnum() or len(suffix) > MAX_SUFFIX_CHARS:
        stem, suffix = clean, ""
    else:
        suffix = f".{suffix}"
    room = MAX_NAME_BYTES - len(digest) - 1 - len(suffix.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip("._-") or fallback
    return f"{stem}-{digest}{suffix}"


def _nfc(text: str) -> str:
    # A lone surrogate (JSON can carry "\ud800") cannot be normalised; it is replaced anyway.
    try:
        return unicodedata.normalize("NFC", text)
    except UnicodeError:
        return text


def attachment_path(
    folder: Path, asset_uid: str, kobo_id: int | str, uid: str, filename: str
) -> Path:
    """Where an attachment's file goes (nothing is created here).

    Raises SyncError if the path would not lie inside `folder` (resolved, so a symbolic
    link inside the folder that leads out of it counts as outside).
    """
    root = Path(folder).expanduser().resolve()
    base = PurePosixPath(str(filename).replace("\\", "/")).name  # the device's folders go
    dest = root.joinpath(
        safe_name(asset_uid, fallback="form"),
        safe_name(str(kobo_id), fallback="submission"),
        safe_name(f"{uid}-{base}"),
    )
    if dest.resolve().parent.parent.parent != root:
        raise SyncError(
            f"refusing to save attachment {safe_name(uid)} of submission {safe_name(str(kobo_id))}"
            f" outside {root} (to {dest.resolve()}): check for symbolic links in that folder"
        )
    return dest


def download_attachments(
    client: KoboClient,
    engine: Engine,
    asset_uid: str,
    folder: Path,
    *,
    progress: ProgressFactory = no_progress,
) -> tuple[int, int]:
    """Download the form's attachment files not saved yet; (downloaded, failed).

    Files go to `attachment_path(...)`, folders 0700 and files 0600. Each file is recorded
    once it is whole (written to a `.part` file, then renamed), so a sync killed
    mid-download fetches it again next time. A file the server will not give (gone,
    refused) is logged and left for the next sync; it does not fail the sync. A folder that
    cannot be written does (SyncError).
    """
    with transaction(engine) as conn:
        pending = load_pending_attachments(conn, asset_uid)
    done = failed = 0
    if not pending:
        return done, failed
    with progress(f"Downloading files of {asset_uid}", len(pending)) as advance:
        for item in pending:
            dest = attachment_path(folder, asset_uid, item.kobo_id, item.uid, item.filename)
            try:
                private_dir(dest.parents[2], *dest.parts[-3:-1])  # (once the path is checked)
                client.submissions.download_attachment(_as_kobo(item), dest)
            except KoboError as err:
                failed += 1
                log.warning("file %s of submission %s not downloaded: %s", safe_name(item.uid),
                            item.kobo_id, err)  # fmt: skip
            except OSError as err:  # the folder cannot be written: no other file would be
                raise SyncError(
                    f"cannot save attachment files in {dest.parents[2]}: {err.strerror or err}; "
                    "check --attachments (sync.attachments_dir)"
                ) from err
            else:
                with transaction(engine) as conn:
                    set_attachment_file(conn, item.id, str(dest))
                done += 1
            advance(1)
    return done, failed


def _as_kobo(item: PendingAttachment) -> Attachment:
    name = PurePosixPath(item.filename).name
    return Attachment(item.uid, item.filename, name, None, item.download_url, None, False, {})
