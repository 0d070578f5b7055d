from leapocr_sdk import JobStatus

JOB = "123e4567-e89b-12d3-a456-426614174000"


def test_get_status_both_shapes(api, base_url, make_client):
    api.expect_request(f"/api/v1/ocr/status/{JOB}").respond_with_json(
        {"id": JOB, "status": "processing", "processed_pages": 1, "total_pages": 4}
    )
    client = make_client(base_url=base_url)
    info = client.get_status(JOB)
    assert info.status is JobStatus.PROCESSING
    assert info.progress == 0.25
