"""MinHash bands: stable (they are stored in every matter), and finding a near-identical text."""

from yimen.triage import neardup

WAGES = "张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清，包工头电话不接。"
FORWARDED = (
    "紧急扩散：桃源镇杏花村某楼盘开发商拖欠42户业主的房产证，业主多次到售楼处交涉无果，"
    "开发商称要等土地手续办完，已经拖了三年，业主准备下周集体到镇政府反映，请有关部门尽快处理。"
)

# Computed by cases.triage_link.minhash_bands before the move to triage.neardup, and stored in
# Case.mh_band0..3 of existing rows: they must never change, or new matters stop finding old ones.
STORED_BANDS = {
    WAGES: [1665463040, 284006636, 812198349, 737002008],
    "包工头拖欠34名工人工资24万余元，老板跑路了": [263373425, 1746805810, 1069378574, 154092769],
    "楼上漏水把我家泡坏了": [1392264637, 6037910, 831533156, 2076909830],
    "转发：楼上漏水把我家泡坏了！": [1537575187, 6037910, 831533156, 1725806461],
    "a": [1467684500, 1570512419, 666244649, 535197232],
}


def test_bands_are_the_values_stored_before_the_move():
    assert {text: neardup.minhash_bands(text) for text in STORED_BANDS} == STORED_BANDS


def test_bands_ignore_punctuation_and_fit_a_31_bit_column():
    assert neardup.minhash_bands("请求协调支付拖欠工资") == neardup.minhash_bands("请求协调支付拖欠工资。")
    assert len(neardup.minhash_bands(WAGES)) == neardup.BANDS
    assert all(0 <= b < 2**31 for b in neardup.minhash_bands(WAGES))


def test_a_text_without_letters_still_has_bands():
    # Punctuation only leaves nothing to compare; it used to fail inside numpy (an empty minimum).
    assert neardup.minhash_bands("！！！") == neardup.minhash_bands("")
    assert len(neardup.minhash_bands("")) == neardup.BANDS


def test_a_text_with_one_word_changed_shares_a_band_where_an_unrelated_one_does_not():
    assert set(neardup.minhash_bands(FORWARDED)) & set(neardup.minhash_bands(FORWARDED.replace("尽快", "马上")))
    assert not set(neardup.minhash_bands(FORWARDED)) & set(neardup.minhash_bands(WAGES))
