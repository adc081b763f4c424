"""Python bindings for the subset of the Talos API the harness reads (COSI State + block specs).

    from talos_api.cosi import state_pb2, state_pb2_grpc
    state_pb2_grpc.StateStub(channel).List(state_pb2.ListRequest(namespace="runtime", type="Disks.block.talos.dev"))

The ``.proto`` files here are written for this project from the published field numbers of
cosi-project/runtime ``api/v1alpha1/{resource,state}.proto`` and siderolabs/talos
``api/resource/definitions/{block,enums}``; only the messages the harness needs are declared.
Run ``talos_api/regenerate.sh`` after editing a ``.proto``; the ``*_pb2*.py`` files are generated.
"""
