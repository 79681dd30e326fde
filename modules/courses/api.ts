// What the courses module offers other modules: the catalogue's courses, making a draft e-learning course, and who may see a course.
export { isPublicMember } from './audience';
export { DEMO_AWARENESS_SLUG, DEMO_RESPONDING_SLUG } from './demo';
export {
  type Course,
  courseBySlug,
  createCourse,
  createDraftElearningCourse,
  createInHouseCourse,
  publishedCompetencies,
  setCourseRecognition,
  setEvaluationSettings,
  slugify,
} from './store';
