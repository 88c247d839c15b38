"""The ORAS Python SDK (PyPI `oras`) as an independent client for the tests
in tests/all/oras.rs: it pushes and pulls through the registry API with its
own code, so what wkg writes and reads is checked against another reading
of the OCI specs.

    client.py push-wasm HOST REFERENCE FILE      # `oras push REF FILE:application/wasm`
    client.py attach HOST REFERENCE FILE TYPE MEDIA-TYPE DIGEST SIZE
                                                 # a manifest with `subject`
    client.py pull HOST REFERENCE OUTDIR         # every layer, by its title

Each push prints the manifest digest the registry answered with.
"""

import os
import sys

import oras.client
import oras.oci


def client(host):
    return oras.client.OrasClient(hostname=host, insecure=True)


def push(host, reference, path, **extra):
    # ORAS wants files relative to the working directory.
    os.chdir(os.path.dirname(os.path.abspath(path)))
    name = os.path.basename(path)
    media_type = extra.pop("media_type", "application/wasm")
    response = client(host).push(
        target=reference, files=[f"{name}:{media_type}"], quiet=True, **extra
    )
    print(response.headers.get("Docker-Content-Digest"))


def main(argv):
    command, host = argv[1], argv[2]
    if command == "push-wasm":
        push(host, argv[3], argv[4])
    elif command == "attach":
        reference, path, kind, media_type, digest, size = argv[3:9]
        subject = oras.oci.Subject(mediaType=media_type, digest=digest, size=int(size))
        push(host, reference, path, media_type=kind, subject=subject)
    elif command == "pull":
        for path in client(host).pull(target=argv[3], outdir=argv[4]):
            print(path)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
