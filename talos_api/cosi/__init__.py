"""COSI resource State service (package ``cosi.resource``), generated from the ``.proto`` files here.

    from talos_api.cosi import resource_pb2, state_pb2, state_pb2_grpc
    request = state_pb2.GetRequest(namespace="runtime", type="Disks.block.talos.dev", id="sda")
"""
