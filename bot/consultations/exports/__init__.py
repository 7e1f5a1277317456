"""A consultation's results as files an organizer uses as they are, one module per format.

- **CSV** (`answers_csv.py`): the answers, one row per submission, that a double-click opens right in a
  spreadsheet of the consultation's language, and that open-data portals take;
- **XLSX** (`workbook.py`): the same answers, a sheet of figures per question and a sheet about the
  consultation, for the town hall's own spreadsheet work;
- **HTML report** (`report.py`): one self-contained page to print for the town council, each chart
  followed by its text alternative;
- **JSON** (`open_data.py`): the definition, every figure and everything about the files (dates, counts,
  small-group rule, licence, the CSV's column ids), for programs.

Every file is written in the consultation's language (`ExportSource.t`) and goes through the same
small-group rule as the results (`ExportSource.min_group`, see storage/consultation_results.py). The cells
of the CSV and of the workbook hold labels ("Tous les jours", "Oui"), never option ids; the ids are in
the JSON's `columns` and `definition`, a sidecar rather than a second header row, because spreadsheets and
CSV readers take one header row: a second one would be sorted and filtered with the answers, and counted
as a submission by every program reading the file.
"""
