def test_home_renders(client, make_category):
    make_category()
    resp = client.get("/")
    assert resp.status_code == 200
    assert "Network &amp; coverage" in resp.get_data(as_text=True)
