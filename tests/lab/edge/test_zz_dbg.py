import traceback, httpcore, socket, threading, os
def test_dbg(edge_env, in_client, http_probe):
    orig = socket.create_connection
    def spy(address, *a, **kw):
        print("create_connection", address, a, kw, threading.current_thread().name, os.readlink(f"/proc/self/task/{threading.get_native_id()}/ns/net"))
        return orig(address, *a, **kw)
    socket.create_connection = spy
    def d():
        try:
            with httpcore.ConnectionPool(ssl_context=http_probe._ssl) as pool:
                r = pool.request("GET", "https://172.29.52.200/", headers={"Host": "authentik.k8s.home.geoffdavis.com"}, extensions={"sni_hostname": "authentik.k8s.home.geoffdavis.com"})
                return r.status
        except Exception as e:
            return repr(e)
    try:
        print(in_client(d))
        threading.Event().wait(3)
        print(in_client(d))
        print(edge_env[1].vtysh('show bgp summary'))
        print(os.readlink(f"/proc/self/task/{threading.get_native_id()}/ns/net"))
    finally:
        socket.create_connection = orig
