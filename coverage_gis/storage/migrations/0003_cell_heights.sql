-- schema-sha256: f88184c62eac1c1cd59aa56c7dc53c75f1e8c5ae91bd8721ca2326eb0ae876c7
-- A cell's own antenna height (layers/cells.yaml): empty = its site's.

ALTER TABLE "cells" ADD COLUMN "height_m" double precision;
ALTER TABLE "cells" ADD CONSTRAINT "cells_height_m_range" CHECK ("height_m" >= 0 AND "height_m" <= 300);
