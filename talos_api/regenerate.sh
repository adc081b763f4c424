#!/usr/bin/env bash
# Regenerate the Python bindings of talos_api/ from its .proto files.
#   usage: talos_api/regenerate.sh            (from anywhere; uses the repo's .venv if present)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python="python3"
cd "$repo"
protos=(talos_api/cosi/resource.proto talos_api/cosi/state.proto talos_api/talos/enums.proto talos_api/talos/block.proto)
# grpc_tools ships google/protobuf/*.proto; its include dir must be on the path for timestamp.proto.
wkt="$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
"$python" -m grpc_tools.protoc -I . -I "$wkt" --python_out=. --pyi_out=. --grpc_python_out=. "${protos[@]}"
# Only the service file needs a gRPC module; drop the empty ones grpc_tools writes for message-only files.
rm -f talos_api/cosi/resource_pb2_grpc.py talos_api/talos/enums_pb2_grpc.py talos_api/talos/block_pb2_grpc.py
# Generated code is not ours to type-check strictly: mark it for mypy.
for f in talos_api/*/*_pb2.pyi talos_api/*/*_pb2_grpc.py; do
  sed -i '1i # mypy: ignore-errors' "$f"
done
echo "regenerated: ${protos[*]}"
