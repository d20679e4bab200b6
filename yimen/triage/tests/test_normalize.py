from yimen.triage.normalize import normalize


def test_it_converts_traditional_to_simplified_and_keeps_the_original():
    n = normalize("樓上鄰居裝修漏水，把我家天花板泡壞了")
    assert n.text == "楼上邻居装修漏水,把我家天花板泡坏了"
    assert n.original == "樓上鄰居裝修漏水，把我家天花板泡壞了"


def test_it_folds_full_width_digits_letters_and_spaces():
    n = normalize("　欠款１２０００元　　ＫＴＶ\u200b吵 ")
    assert n.text == "欠款12000元 KTV吵"
    assert n.match == "欠款12000元 ktv吵"


def test_empty_text_stays_empty():
    assert normalize("").text == ""
