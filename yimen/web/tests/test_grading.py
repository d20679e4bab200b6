"""The workbench shows an ungraded matter as 待研判 with the engine's proposal, never as blue."""

from django.urls import reverse

from yimen.cases.tests.test_grading import _noise, _wage_threat


def test_the_dispatchers_home_queue_puts_the_red_wage_threat_first_with_its_provisional_badge(client, world):
    noise = _noise(world, 1)
    wage = _wage_threat(world)
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:home")).content.decode()
    queue = html[html.index('id="centre-queue"'):]
    assert queue.index(wage.number) < queue.index(noise.number)
    assert "待研判" in queue and "系统建议：红色" in queue and "系统建议：急难事·马上办" in queue
    assert 'class="badge risk-blue"' not in queue  # the noise complaints are proposed blue, not graded blue


def test_the_matter_header_and_the_list_show_ungraded_and_the_suggestion(client, world):
    wage = _wage_threat(world)
    client.force_login(world.dispatcher)
    header = client.get(reverse("web:case_detail", args=[wage.number])).content.decode()
    start = header.index('class="card case-head"')
    head = header[start:header.index("</header>", start)]
    assert "待研判" in head and "系统建议：红色" in head and "risk-blue" not in head
    rows = client.get(reverse("web:case_list")).content.decode()
    assert "系统建议：红色" in rows and "待研判" in rows
