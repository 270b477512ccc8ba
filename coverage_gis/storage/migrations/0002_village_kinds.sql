-- schema-sha256: 5c5681d4f2dff2b27b5fcc54d9982234f94791fc95ea824fa62030e183556fef
-- The kinds of village the law names (layers/villages.yaml): bon, phum, sóc, khu, tiểu khu, khối phố.

ALTER TABLE "villages" DROP CONSTRAINT "villages_kind_allowed";
ALTER TABLE "villages" ADD CONSTRAINT "villages_kind_allowed" CHECK ("kind" IN ('thôn', 'làng', 'ấp', 'bản', 'buôn', 'bon', 'phum', 'sóc', 'xóm', 'khóm', 'khu', 'tiểu khu', 'khu phố', 'khối phố', 'tổ dân phố'));
