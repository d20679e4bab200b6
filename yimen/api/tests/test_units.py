from yimen.cases.models import Responsibility


def test_dispatch_candidates_put_the_responsibility_list_first(api, world):
    Responsibility.objects.create(category=world.labour, level="township", unit_kind="hrss", part="lead", duty="欠薪协调")
    Responsibility.objects.create(category=world.labour, level="township", unit_kind="justice_office", part="assist")
    case = world.register()
    response = api.get(world.dispatcher, f"/cases/{case.number}/units")
    assert response.status_code == 200
    units = response.json()
    assert [u["name"] for u in units[:2]] == ["青溪县人力资源和社会保障局", "桃源镇司法所"]
    assert units[0]["part"] == "lead" and units[0]["duty"] == "欠薪协调"
    names = {u["name"] for u in units}
    # Units of the township, plus county units stationed in its centre; never another county's.
    assert {"桃源派出所", "青溪县住房和城乡建设局"} <= names
    assert "明湖区人力资源和社会保障局" not in names and "石门镇司法所" not in names


def test_dispatch_candidates_of_a_matter_outside_scope_are_404(api, world):
    case = world.register()
    assert api.get(world.outsider, f"/cases/{case.number}/units").status_code == 404
