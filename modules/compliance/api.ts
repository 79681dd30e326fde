// What the compliance module offers other modules: the compliance rules (status, requirements, expiry dates) and the compliance of a person or an organisation.
export { addDays, addMonths, computeCompliance, type EvidenceItem, type FrameworkData, requirementsFor } from './engine';
export {
  complianceForOrganisation,
  complianceForStaff,
  complianceOfPeopleWanted,
  countsForOrganisations,
  type PersonCompliance,
  refresherMonthsOf,
  STATUS_NAMES,
  STATUSES,
} from './service';
export { findOrganisation, isWanted, listOrganisations, loadPublishedFramework, type PeopleWanted } from './store';
export { buildSelfAssessment } from './self-assessment';
export { statusSummary } from './summary';
